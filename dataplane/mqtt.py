"""Where the broker is: `MQTT_URL` parsed once, so the ingest, the smoke check and every twin stack read it alike."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

__all__ = ["DEFAULT_MQTT_URL", "BrokerConfig", "parse_mqtt_url"]

DEFAULT_MQTT_URL = "mqtt://127.0.0.1:1883"
_SCHEMES = {"mqtt": (1883, False), "tcp": (1883, False), "mqtts": (8883, True), "ssl": (8883, True)}


@dataclass(frozen=True)
class BrokerConfig:
    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None

    @property
    def display(self) -> str:
        """The URL without the password, for logs and the UI."""
        user = f"{self.username}@" if self.username else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{host}:{self.port}"


def parse_mqtt_url(url: str) -> BrokerConfig:
    """`mqtt://[user[:pass]@]host[:port]`; `mqtts://` means TLS (port 8883 unless given).

    Raises ValueError with a sentence naming MQTT_URL, because that is the
    only place such a URL comes from.
    """
    text = (url or "").strip() or DEFAULT_MQTT_URL
    parts = urllib.parse.urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise ValueError(f"MQTT_URL {text!r} must start with mqtt:// or mqtts:// (TLS), "
                         f"e.g. {DEFAULT_MQTT_URL}")
    if not parts.hostname:
        raise ValueError(f"MQTT_URL {text!r} names no host; write it as mqtt://host:port")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"MQTT_URL {text!r}: a broker URL has no path or query; write it as mqtt://host:port")
    default_port, tls = _SCHEMES[scheme]
    try:
        port = parts.port or default_port
    except ValueError:
        raise ValueError(f"MQTT_URL {text!r}: the port must be a number from 1 to 65535") from None
    username = urllib.parse.unquote(parts.username) if parts.username else None
    password = urllib.parse.unquote(parts.password) if parts.password is not None else None
    return BrokerConfig(parts.hostname, port, tls, username, password)
