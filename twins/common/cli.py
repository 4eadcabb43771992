"""`python -m twins.<stack>`: the same options for every stack, read from the command line and environment."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from dataplane.mqtt import parse_mqtt_url
from twins.common.config import ConfigError, RunSettings
from twins.common.runner import BrokerUnreachable, StackDefinition, StackRunner, TickLoop
from twins.common.stackspec import StackSpecError

__all__ = ["add_run_options", "apply_run_options", "configure_logging", "main", "run_until_signalled"]


def configure_logging(environ: Mapping[str, str]) -> None:
    level = environ.get("DTP_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(level=getattr(logging, level, logging.INFO), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The options every publisher shares (stacks and the fleet)."""
    once = parser.add_mutually_exclusive_group()
    once.add_argument("--once", action="store_true", help="publish one tick, then exit (tests, cron)")
    once.add_argument("--count", type=int, metavar="N", help="publish N ticks, then exit")
    parser.add_argument("--interval", type=float, metavar="SEC",
                        help="seconds between ticks (default: PUBLISH_INTERVAL_SEC, else 5)")
    parser.add_argument("--seed", type=int, help="seed of the simulation (default: SIM_SEED, else random)")
    parser.add_argument("--mqtt-url", help="broker, mqtt://host:port or mqtts:// (default: MQTT_URL, "
                                           "else mqtt://127.0.0.1:1883)")
    parser.add_argument("--connect-timeout", type=float, default=10.0, metavar="SEC",
                        help="with --once/--count: give up when no broker answers within SEC (default 10)")


def apply_run_options(settings: RunSettings, args: argparse.Namespace) -> RunSettings:
    changes: dict[str, object] = {"connect_timeout": args.connect_timeout}
    if args.once or args.count is not None:
        count = 1 if args.once else args.count
        if count < 1:
            raise ConfigError(f"--count must be at least 1, got {count}")
        changes["count"] = count
    if args.interval is not None:
        if not args.interval > 0:
            raise ConfigError(f"--interval must be > 0, got {args.interval}")
        changes["interval"] = args.interval
    if args.seed is not None:
        changes["seed"] = args.seed
    if args.mqtt_url:
        try:
            changes["broker"] = parse_mqtt_url(args.mqtt_url)
        except ValueError as exc:
            raise ConfigError(str(exc).replace("MQTT_URL", "--mqtt-url")) from None
    return dataclasses.replace(settings, **changes)


def run_until_signalled(loops: Sequence[TickLoop]) -> dict[str, BaseException]:
    """Run each loop in a thread of its own until all have ended; SIGINT/SIGTERM stops them all.

    The signal handler only sets a flag: stopping takes locks (Event.set), and
    a handler that takes a lock the interrupted code holds, or that a second
    signal re-enters, deadlocks. The main thread polls the flag instead.
    Returns the exception each loop that failed ended with, by loop name.
    """
    signalled = False

    def handler(_signum: int, _frame: object) -> None:
        nonlocal signalled
        signalled = True

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)
    errors: dict[str, BaseException] = {}

    def guarded(loop: TickLoop) -> None:
        try:
            loop.run()
        except Exception as exc:  # reported by the caller; the other loops keep running
            errors[loop.name] = exc

    threads = [threading.Thread(target=guarded, args=(loop,), name=f"loop-{loop.name}") for loop in loops]
    for thread in threads:
        thread.start()
    stopped = False
    while any(thread.is_alive() for thread in threads):
        if signalled and not stopped:
            logging.getLogger("twins").info("stopping (signal received)")
            for loop in loops:
                loop.stop()
            stopped = True
        for thread in threads:
            thread.join(0.1)
    return errors


def build_parser(definition: StackDefinition) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m twins.{definition.name}",
                                     description=f"Publish the {definition.name} twin's telemetry over MQTT "
                                                 f"on the topics its twin.yaml declares.")
    add_run_options(parser)
    parser.add_argument("--spec", type=Path, default=definition.spec_path,
                        help=f"the twin.yaml to read topics from (default: {definition.spec_path})")
    if definition.ui_port_env:
        ui = parser.add_mutually_exclusive_group()
        ui.add_argument("--ui-port", type=int, help=f"port of the web UI (default: {definition.ui_port_env}, "
                                                    f"else {definition.default_ui_port}; 0: any free port)")
        ui.add_argument("--no-ui", action="store_true", help="do not serve the web UI")
    return parser


def main(definition: StackDefinition, argv: Sequence[str] | None = None,
         environ: Mapping[str, str] | None = None) -> int:
    environ = os.environ if environ is None else environ
    args = build_parser(definition).parse_args(argv)
    configure_logging(environ)
    try:
        settings = RunSettings.from_env(environ, ui_port_env=definition.ui_port_env,
                                        default_ui_port=definition.default_ui_port)
        settings = apply_run_options(settings, args)
        if definition.ui_port_env:
            if args.no_ui:
                settings = dataclasses.replace(settings, ui_port=None)
            elif args.ui_port is not None:
                settings = dataclasses.replace(settings, ui_port=args.ui_port)
        runner = StackRunner(definition, settings, environ, spec_path=args.spec)
    except (ConfigError, StackSpecError) as exc:
        print(f"twins.{definition.name}: {exc}", file=sys.stderr)
        return 2
    error = run_until_signalled([runner]).get(runner.name)
    if isinstance(error, BrokerUnreachable):
        print(f"twins.{definition.name}: {error}", file=sys.stderr)
        return 1
    if error is not None:
        raise error
    return 0
