"""`python -m twins.stacks`: the four sample stacks (lift, energy_hvac, m5core2, room_sensor) in one process.

This is what `make run` starts beside the portal: one thread per stack, each
with its own MQTT connection and (lift, energy_hvac) its own UI, all reading
MQTT_URL and PUBLISH_INTERVAL_SEC. SIGINT/SIGTERM stops every stack and the
process exits. A stack that cannot start (a broken twin.yaml, a bad setting)
is reported and the others still run; the exit code is then 1.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping, Sequence

from twins.common.cli import configure_logging, run_until_signalled
from twins.common.config import ConfigError, RunSettings
from twins.common.runner import StackDefinition, StackRunner
from twins.common.stackspec import StackSpecError

__all__ = ["SAMPLE_STACKS", "build_runners", "main"]

log = logging.getLogger("twins.stacks")


def sample_stacks() -> list[StackDefinition]:
    from twins.energy_hvac import DEFINITION as ENERGY
    from twins.lift import DEFINITION as LIFT
    from twins.m5core2 import DEFINITION as M5
    from twins.room_sensor import DEFINITION as ROOM

    return [LIFT, ENERGY, M5, ROOM]


SAMPLE_STACKS = ("lift", "energy_hvac", "m5core2", "room_sensor")


def build_runners(environ: Mapping[str, str], names: Sequence[str] = SAMPLE_STACKS
                  ) -> tuple[list[StackRunner], list[str]]:
    """One runner per stack that could be set up, and a sentence for each that could not."""
    runners, problems = [], []
    for definition in sample_stacks():
        if definition.name not in names:
            continue
        try:
            settings = RunSettings.from_env(environ, ui_port_env=definition.ui_port_env,
                                            default_ui_port=definition.default_ui_port)
            runners.append(StackRunner(definition, settings, environ))
        except (ConfigError, StackSpecError) as exc:
            problems.append(f"{definition.name}: {exc}")
    return runners, problems


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    environ = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(prog="python -m twins.stacks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", choices=SAMPLE_STACKS, default=list(SAMPLE_STACKS),
                        help="run only these stacks")
    args = parser.parse_args(argv)
    configure_logging(environ)
    runners, problems = build_runners(environ, args.only)
    for problem in problems:
        print(f"twins.stacks: {problem}", file=sys.stderr)
    if not runners:
        return 2

    errors = run_until_signalled(runners)
    for name, error in errors.items():
        log.error("stack %s stopped with an error: %s", name, error, exc_info=error)
    return 0 if not errors and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
