"""The environment a stack reads, read in one place with errors that name the variable."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass

from dataplane.mqtt import BrokerConfig, parse_mqtt_url
from polyglot_dtp import runfile
from twins.common.influx import InfluxSettings
from twins.common.publisher import Backoff

__all__ = ["ConfigError", "RunSettings", "mqtt_url", "env_float", "env_int", "env_port"]

DEFAULT_INTERVAL = 5.0
log = logging.getLogger("twins")


class ConfigError(ValueError):
    """A setting that cannot be used; the message names the variable and what to write."""


def env_float(environ: Mapping[str, str], name: str, default: float, *, minimum: float | None = None,
              positive: bool = False) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not math.isfinite(value) or (positive and value <= 0) or (minimum is not None and value < minimum):
        bound = "> 0" if positive else f">= {minimum:g}" if minimum is not None else "finite"
        raise ConfigError(f"{name} must be a number {bound}, got {raw!r}")
    return value


def env_int(environ: Mapping[str, str], name: str, default: int | None) -> int | None:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None


def env_port(environ: Mapping[str, str], name: str, default: int) -> int | None:
    """A UI port: unset means `default`, `off` means no UI, 0 means any free port."""
    raw = environ.get(name, "").strip().lower()
    if raw in ("off", "none", "false", "no"):
        return None
    port = env_int(environ, name, default)
    if port is None or not 0 <= port <= 65535:
        raise ConfigError(f"{name} must be a port number from 0 to 65535, or 'off', got {raw!r}")
    return port


def mqtt_url(environ: Mapping[str, str]) -> str:
    """MQTT_URL; unset, the broker of a `make run` running beside us (polyglot_dtp.runfile); else the default."""
    explicit = environ.get("MQTT_URL", "").strip()
    if explicit:
        return explicit
    info = runfile.read(runfile.runfile_path(environ))
    if info is not None:
        log.info("MQTT_URL is not set: publishing to the broker of the running `make run`, %s", info.mqtt_url)
        return info.mqtt_url
    return ""


@dataclass(frozen=True)
class RunSettings:
    """How one stack runs: where it publishes, how often, with which seed, and its UI."""

    broker: BrokerConfig
    interval: float = DEFAULT_INTERVAL
    seed: int | None = None
    count: int | None = None
    ui_host: str = "127.0.0.1"
    ui_port: int | None = None
    backoff: Backoff = Backoff()
    connect_timeout: float = 10.0
    influx: InfluxSettings | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, ui_port_env: str | None = None,
                 default_ui_port: int | None = None) -> RunSettings:
        try:
            broker = parse_mqtt_url(mqtt_url(environ))
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        backoff = Backoff(env_float(environ, "MQTT_RECONNECT_MIN_SEC", 0.5, positive=True),
                          env_float(environ, "MQTT_RECONNECT_MAX_SEC", 30.0, positive=True))
        if backoff.maximum < backoff.initial:
            raise ConfigError("MQTT_RECONNECT_MAX_SEC must be at least MQTT_RECONNECT_MIN_SEC")
        ui_port = env_port(environ, ui_port_env, default_ui_port) if ui_port_env and default_ui_port is not None \
            else None
        return cls(broker=broker, interval=env_float(environ, "PUBLISH_INTERVAL_SEC", DEFAULT_INTERVAL, positive=True),
                   seed=env_int(environ, "SIM_SEED", None), ui_host=environ.get("TWIN_UI_HOST", "").strip()
                   or "127.0.0.1", ui_port=ui_port, backoff=backoff, influx=InfluxSettings.from_env(environ))
