"""`python -m bench.gen --twins 10000 --tenants 20 --out DIR`: a realistic, deterministic twin tree.

Twins take the sample twins' shapes (lift, HVAC plant, room sensor, device), 1-5 streams each;
dependencies point only at twins generated earlier in the same tenant, so they form a DAG; every
seventh file uses comments, an anchor and a merge key, as hand-written specs do.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

KINDS = {
    "lift": (["lift", "building"], ["vibration", "door_cycles", "load", "alerts", "speed"], ["mm/s", "count", "kg"]),
    "hvac": (["energy", "hvac"], ["power", "energy", "supply_temp", "return_temp", "setpoint"], ["kW", "kWh", "C"]),
    "sensor": (["building", "environment"], ["temp", "humidity", "co2", "lux", "noise"], ["C", "%", "ppm"]),
    "device": (["device", "iot"], ["battery", "imu", "temperature", "rssi", "uptime"], ["%", "g", "C"]),
}


def twin_text(rng: random.Random, twin_id: str, tenant: str, kind: str, deps: list[str], fancy: bool) -> str:
    domains, signals, units = KINDS[kind]
    chosen = rng.sample(signals, rng.randint(1, 5))
    lines = [f"# {kind} twin, generated" if fancy else "", f"id: {twin_id}", f"name: {kind.title()} {twin_id}",
             f"tenant: {tenant}", "metadata:", f"  domain: [{', '.join(domains)}]", "  status: active",
             f"  serial: SN-{rng.randrange(10**8):08d}", "interfaces:", f"  api: http://{twin_id}.local/api",
             "  data_streams:"]
    for i, signal in enumerate(chosen):
        uri = f"mqtt://dtp/{tenant}/{twin_id}/{signal}"
        if fancy and i == 0:
            lines.append(f"    - &first {{uri: '{uri}', signal: {signal}, unit: '{rng.choice(units)}', interval: 5}}")
        elif fancy:
            lines.append(f"    - {{<<: *first, uri: '{uri}', signal: {signal}}}")
        else:
            lines.append(f"    - {{uri: '{uri}', signal: {signal}, unit: '{rng.choice(units)}', interval: 5}}")
    if deps:
        lines += ["dependencies:", f"  static: [{', '.join(deps)}]"]
    return "\n".join(line for line in lines if line) + "\n"


def generate(out: Path, twins: int, tenants: int = 20, seed: int = 7) -> list[Path]:
    rng = random.Random(seed)
    earlier: dict[str, list[str]] = {f"tenant-{t:02d}": [] for t in range(min(tenants, twins) or 1)}
    paths = []
    for n in range(twins):
        tenant = f"tenant-{n % len(earlier):02d}"
        kind = rng.choice(list(KINDS))
        twin_id = f"{kind}-{n:05d}"
        pool = earlier[tenant]
        deps = rng.sample(pool, min(len(pool), rng.randint(0, 3))) if pool else []
        path = out / tenant / f"{kind}-{n:05d}" / "twin.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(twin_text(rng, twin_id, tenant, kind, deps, fancy=n % 7 == 0))
        pool.append(twin_id)
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--twins", type=int, default=1000)
    parser.add_argument("--tenants", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    paths = generate(args.out, args.twins, args.tenants, args.seed)
    print(f"wrote {len(paths)} twin.yaml files under {args.out}")


if __name__ == "__main__":
    main()
