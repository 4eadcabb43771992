"""MQTT broker addresses: `mqtt://[user:pass@]host[:port]`, `mqtts://` for TLS."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

__all__ = ["Broker", "parse_broker_url"]


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None

    def __str__(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def parse_broker_url(url: str) -> Broker:
    """Raise ValueError with the sentence to show the user when the URL is not a broker address."""
    parts = urlsplit(url if "://" in url else f"mqtt://{url}")
    if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
        raise ValueError(f"MQTT_URL {url!r}: use mqtt://host:port (or mqtts:// for TLS)")
    if not parts.hostname:
        raise ValueError(f"MQTT_URL {url!r} names no host, e.g. mqtt://127.0.0.1:1883")
    tls = parts.scheme in ("mqtts", "ssl")
    try:
        port = parts.port or (8883 if tls else 1883)
    except ValueError:
        raise ValueError(f"MQTT_URL {url!r}: the port must be a number") from None
    return Broker(parts.hostname, port, tls, unquote(parts.username) if parts.username else None,
                  unquote(parts.password) if parts.password else None)
