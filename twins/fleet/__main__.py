"""`python -m twins.fleet generate|run|models`: the machine fleet (demo and benchmark load source)."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import random
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from twins.common.cli import add_run_options, apply_run_options, configure_logging, run_until_signalled
from twins.common.config import ConfigError, RunSettings, env_float
from twins.common.runner import BrokerUnreachable
from twins.common.stackspec import StackSpecError
from twins.fleet.generate import generate_fleet
from twins.fleet.models import write_models
from twins.fleet.run import FleetRunner, load_fleet

log = logging.getLogger("twins.fleet")


def default_dir(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("DTP_DATA_DIR", "").strip() or "var") / "fleet"


def parser(environ: Mapping[str, str]) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m twins.fleet", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="write one twin.yaml per machine")
    gen.add_argument("--machines", type=int, default=15, metavar="N",
                     help="how many machines; the 15 types go round-robin (default 15: one of each)")
    gen.add_argument("--out", type=Path, default=default_dir(environ), metavar="DIR",
                     help=f"folder to write to (default {default_dir(environ)}; keep it out of twins/ "
                          f"unless you want the fleet in the registry)")
    gen.add_argument("--seed", type=int, default=0, help="seed for sites and serial numbers (default 0)")
    gen.add_argument("--tenant", default="acme-factory", help="tenant of every machine (default acme-factory)")
    gen.add_argument("--interval", type=float, default=None, metavar="SEC",
                     help="declared seconds between messages (default PUBLISH_INTERVAL_SEC, else 5)")
    models = sub.add_parser("models", help="write the machine types' DTDL models (models/fleet)")
    models.add_argument("--out", type=Path, default=Path("models") / "fleet", metavar="DIR",
                        help="folder to write to (default models/fleet)")
    run = sub.add_parser("run", help="publish the fleet's telemetry over MQTT")
    add_run_options(run)
    run.add_argument("--specs", type=Path, default=default_dir(environ), metavar="DIR",
                     help=f"folder of generated twin.yaml files (default {default_dir(environ)})")
    run.add_argument("--fault-rate", type=float, default=None, metavar="P",
                     help="chance per machine and tick that a fault starts (default FLEET_FAULT_RATE, else 0.01)")
    run.add_argument("--no-batch", action="store_true",
                     help="one message per reading on its own stream's topic, instead of one batch per machine "
                          "and tick (docs/messages.md)")
    run.add_argument("--faults-log", type=Path, metavar="FILE",
                     help="append each injected fault as a JSON line when it ends (ground truth for anomaly "
                          "detection; format in twins/fleet/README.md)")
    return p


def cmd_generate(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    interval = args.interval or env_float(environ, "PUBLISH_INTERVAL_SEC", 5.0, positive=True)
    made = generate_fleet(args.out, args.machines, seed=args.seed, tenant=args.tenant, interval=interval)
    kinds = len({m.kind.key for m in made})
    print(f"wrote {len(made)} twin.yaml files ({kinds} machine types) under {args.out}")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    written = write_models(args.out)
    print(f"wrote {len(written)} DTDL model files under {args.out}")
    return 0


def cmd_run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    settings = apply_run_options(RunSettings.from_env(environ), args)
    rate = args.fault_rate if args.fault_rate is not None else env_float(environ, "FLEET_FAULT_RATE", 0.01,
                                                                          minimum=0)
    if not 0 <= rate <= 1:
        raise ConfigError(f"the fault rate is a probability from 0 to 1, got {rate}")
    if settings.seed is None:
        settings = dataclasses.replace(settings, seed=random.SystemRandom().randrange(2**31))
        log.info("fleet: seed %d (pass --seed %d to repeat this run)", settings.seed, settings.seed)
    machines = load_fleet(args.specs)
    faults_log = args.faults_log.open("a", encoding="utf-8") if args.faults_log else None
    runner = FleetRunner(machines, settings, seed=settings.seed, fault_rate=rate, faults_log=faults_log,
                         batch=not args.no_batch)
    try:
        log.info("fleet: %d machines, %d streams", len(machines), sum(len(m.bindings) for m in machines))
        error = run_until_signalled([runner]).get(runner.name)
        if error is not None:
            raise error
    finally:
        runner.faults.close()  # faults still under way are logged too (complete: false)
        if faults_log:
            faults_log.close()
    return 0


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    environ = os.environ if environ is None else environ
    args = parser(environ).parse_args(argv)
    configure_logging(environ)
    try:
        if args.command == "models":
            return cmd_models(args)
        return cmd_generate(args, environ) if args.command == "generate" else cmd_run(args, environ)
    except (ConfigError, StackSpecError, ValueError) as exc:
        print(f"twins.fleet {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokerUnreachable as exc:
        print(f"twins.fleet run: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
