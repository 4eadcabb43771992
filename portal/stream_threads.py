"""Requests to the stream do their synchronous steps on a few shared threads, instead of keeping one each.

Django's ASGI handler serves each request in a ThreadSensitiveContext of its
own: the first thread-sensitive step (every one of Django's middlewares is
one) starts a thread for that request, and the thread lives until the
response ends. For a page that is milliseconds; for an SSE stream it is a
thread per open stream, for hours, even though the stream's view is async
and waits on the event loop (portal.hub). This ASGI wrapper gives requests to
the stream's path a context bound to one of a few long-lived single-thread
executors (asgiref's `ThreadSensitiveContext(executor=…)`), so the
middlewares and the open's one synchronous step still run one at a time on
one thread, as thread-sensitive code expects, but the threads are shared by
every stream of the process. Every other path is served as before.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext

__all__ = ["SharedStreamThreads", "THREADS"]

THREADS = 4  # opens in progress at once: a slow session or replay read holds up only its own thread's queue

Scope = MutableMapping[str, Any]
App = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


class SharedStreamThreads:
    def __init__(self, app: App, path: str, threads: int = THREADS) -> None:
        self.app = app
        self.path = path
        self.executors = [ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"stream-{n}") for n in range(threads)]
        self._turn = itertools.cycle(self.executors)

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Any]],
                       send: Callable[[Any], Awaitable[None]]) -> None:
        if scope["type"] == "http" and scope.get("path") == self.path:
            async with ThreadSensitiveContext(executor=next(self._turn)):
                await self.app(scope, receive, send)
            return
        await self.app(scope, receive, send)
