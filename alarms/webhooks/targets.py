"""Where a delivery may go, and the one HTTP POST that takes it there.

A tenant admin names the URL, but the request leaves from inside the platform: a URL naming a
loopback, private, link-local (cloud metadata) or otherwise reserved address would let a tenant
reach what only the platform should. Such addresses are refused unless a network in
DTP_WEBHOOK_ALLOWED_NETWORKS admits them. The check is made on the addresses the name resolves to
at send time, and the connection goes to the address that was checked (no second lookup a
rebinding DNS server could answer differently). Redirects are not followed.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

MAX_URL_CHARS = 2000
USER_AGENT = "polyglot-dtp-webhooks/1"


class Refused(Exception):
    """The URL may not be called; the message says why. `final`: retrying cannot help."""

    def __init__(self, message: str, final: bool) -> None:
        super().__init__(message)
        self.final = final


def url_problem(url: str) -> str:
    """Why a URL cannot be registered (empty when it can). Names are checked again when sent."""
    if len(url) > MAX_URL_CHARS:
        return f"must be at most {MAX_URL_CHARS} characters"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"is not a URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL with a host, e.g. https://hooks.example.com/dtp"
    if parts.username or parts.password:
        return "must not carry a user name or password; put a token in the path or query instead"
    if port == 0:
        return "must not name port 0"
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return ""
    return "" if _allowed(address) else _refusal(parts.hostname)


def _allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    for network in settings.DTP_WEBHOOK_ALLOWED_NETWORKS:
        if address in ipaddress.ip_network(network, strict=False):
            return True
    return address.is_global and not address.is_multicast


def _refusal(host: str) -> str:
    return (f"names {host}, a loopback, private, link-local or reserved address, which webhooks may not call; "
            "an operator can admit a network with DTP_WEBHOOK_ALLOWED_NETWORKS")


def _resolve(host: str, port: int) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise Refused(f"the host {host} does not resolve ({exc.strerror})", final=False) from None
    addresses = [info[4][0] for info in infos]
    for address in addresses:
        if not _allowed(ipaddress.ip_address(address.split("%")[0])):
            raise Refused(f"the URL {_refusal(host)}", final=True)
    return addresses[0]


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    latency_ms: float
    error: str
    retry_after: float = 0.0
    final: bool = False  # refused before sending: no retry


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, address: str, host: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, address: str, host: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST once; an answer of any status is an Answer, and so is a refusal or a network error."""
    started = time.monotonic()
    parts = urlsplit(url)
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    try:
        address = _resolve(parts.hostname or "", port)
        conn = (_PinnedHTTPS if secure else _PinnedHTTP)(address, parts.hostname or "", port,
                                                        settings.DTP_WEBHOOK_TIMEOUT_SECONDS)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request("POST", target, body=body, headers={**headers, "Content-Type": "application/json",
                                                              "User-Agent": USER_AGENT})
            response = conn.getresponse()
            response.read(64 * 1024)
            status = response.status
            retry_after = _retry_after(response.getheader("Retry-After", ""))
        finally:
            conn.close()
    except Refused as exc:
        return Answer(None, _ms(started), str(exc), final=exc.final)
    except (OSError, http.client.HTTPException) as exc:
        return Answer(None, _ms(started), f"{type(exc).__name__}: {exc}"[:500])
    error = "" if 200 <= status < 300 else f"the receiver answered HTTP {status}"
    return Answer(status, _ms(started), error, retry_after)


def _retry_after(value: str) -> float:
    """Retry-After in seconds (the date form is ignored), capped at an hour."""
    try:
        return min(max(float(value), 0.0), 3600.0)
    except ValueError:
        return 0.0


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
