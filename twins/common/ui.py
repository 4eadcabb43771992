"""A stack's own small web UI: current values and recent alerts, and the same as JSON.

Standard library only (`http.server` in a thread): a twin stack should start
anywhere Python does. `GET /` is the page, `GET /api` (also `/api/state`) the
JSON the page polls, which is what the twin card's `interfaces.api` points at.
"""

from __future__ import annotations

import html
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from twins.common.board import StatusBoard

__all__ = ["UIServer", "render_page"]

log = logging.getLogger("twins.ui")

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{{font:15px system-ui,sans-serif;margin:2rem;color:#1b2733;background:#f6f8fa}}
h1{{font-size:1.4rem;margin:0 0 .2rem}} .muted{{color:#667}}
table{{border-collapse:collapse;background:#fff;margin:1rem 0;min-width:32rem}}
td,th{{padding:.35rem .8rem;border-bottom:1px solid #dde;text-align:left}}
td.v{{font-variant-numeric:tabular-nums;text-align:right;font-weight:600}}
.info{{color:#246}} .warning{{color:#a60}} .critical{{color:#b00}} .down{{color:#b00}}
</style></head><body>
<h1>{title}</h1>
<div class="muted">twin <code>{twin_id}</code> &middot; tenant <code>{tenant}</code> &middot;
broker <code>{broker}</code> <span id="conn" class="{conn_class}">{conn}</span></div>
<h2>Current values</h2>
<table><thead><tr><th>signal</th><th>value</th><th>unit</th><th>time (UTC)</th><th>topic</th></tr></thead>
<tbody id="signals">{signal_rows}</tbody></table>
<h2>Recent alerts</h2>
<table><thead><tr><th>time (UTC)</th><th>severity</th><th>message</th></tr></thead>
<tbody id="alerts">{alert_rows}</tbody></table>
<p class="muted">JSON: <a href="api">api</a></p>
<script>
const esc = s => String(s).replace(/[&<>"]/g, c => ({{"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"}}[c]));
async function refresh() {{
  try {{
    const s = await (await fetch("api", {{cache: "no-store"}})).json();
    document.getElementById("signals").innerHTML = s.signals.map(x =>
      `<tr><td>${{esc(x.signal)}}</td><td class="v">${{esc(x.value)}}</td><td>${{esc(x.unit)}}</td>` +
      `<td>${{esc(x.ts)}}</td><td><code>${{esc(x.topic)}}</code></td></tr>`).join("");
    document.getElementById("alerts").innerHTML = s.alerts.map(a =>
      `<tr><td>${{esc(a.ts)}}</td><td class="${{esc(a.severity)}}">${{esc(a.severity)}}</td>` +
      `<td>${{esc(a.message)}}</td></tr>`).join("") || '<tr><td colspan="3" class="muted">none</td></tr>';
    const c = document.getElementById("conn");
    c.textContent = s.broker.connected ? "connected" : "disconnected";
    c.className = s.broker.connected ? "" : "down";
  }} catch (e) {{ document.getElementById("conn").textContent = "UI unreachable"; }}
}}
setInterval(refresh, 2000);
</script>
</body></html>
"""


def render_page(state: dict[str, Any]) -> str:
    """The HTML page for one board snapshot (values escaped; the script keeps it fresh)."""
    e = html.escape
    signals = "".join(
        f"<tr><td>{e(str(s.get('signal', '')))}</td><td class=\"v\">{e(str(s['value']))}</td>"
        f"<td>{e(str(s.get('unit', '')))}</td><td>{e(str(s.get('ts', '')))}</td>"
        f"<td><code>{e(s['topic'])}</code></td></tr>" for s in state["signals"])
    alerts = "".join(
        f"<tr><td>{e(str(a['ts']))}</td><td class=\"{e(a['severity'])}\">{e(a['severity'])}</td>"
        f"<td>{e(a['message'])}</td></tr>" for a in state["alerts"]) or \
        '<tr><td colspan="3" class="muted">none</td></tr>'
    twin = state["twin"]
    connected = state["broker"]["connected"]
    return _PAGE.format(title=e(twin["ui_name"]), twin_id=e(twin["id"]), tenant=e(twin["tenant"]),
                        broker=e(state["broker"]["url"]), conn="connected" if connected else "disconnected",
                        conn_class="" if connected else "down", signal_rows=signals or "", alert_rows=alerts)


class _Handler(BaseHTTPRequestHandler):
    board: StatusBoard  # set on the per-server subclass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path = self.path.split("?", 1)[0].rstrip("/") or "/"
        if path in ("/api", "/api/state"):
            self._send(200, "application/json", json.dumps(self.board.snapshot()).encode())
        elif path == "/":
            self._send(200, "text/html; charset=utf-8", render_page(self.board.snapshot()).encode())
        elif path == "/healthz":
            self._send(200, "application/json", b'{"ok":true}')
        else:
            self._send(404, "application/json", b'{"error":"not found; try / or /api"}')

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt: str, *args: Any) -> None:
        log.debug("%s " + fmt, self.address_string(), *args)


class UIServer:
    """The HTTP server in a daemon thread; port 0 takes any free port (see `.port`)."""

    def __init__(self, board: StatusBoard, host: str, port: int) -> None:
        handler = type("BoardHandler", (_Handler,), {"board": board})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self.host = host
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"ui-{self.port}", daemon=True)

    def start(self) -> UIServer:
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        host = "localhost" if self.host in ("0.0.0.0", "::", "127.0.0.1") else self.host
        return f"http://{host}:{self.port}/"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
