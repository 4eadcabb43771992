"""This process's open streams, served from its one event loop.

Why: django-eventstream's view gives every stream a listener woken by its own
`call_soon_threadsafe`, reads storage through `sync_to_async` from the
request's thread-sensitive context (so each open stream keeps a thread), and
our grant re-check hopped to a thread per event per client. Here every open
stream is a `Listener` on one `Hub` bound to the web process's event loop:

- threads (the outbox tailer, the health publisher, a revocation in a request
  thread) hand items over with one `call_soon_threadsafe` per burst, not per
  client; the Redis subscriber runs on the loop itself;
- one dispatcher task takes each burst, asks once per distinct reader (not
  per client) whether it may still read, in one hop to a worker thread for the
  whole burst and at most every `recheck_seconds` per reader, and appends the
  burst's items (shared, encoded once by portal.eventstream) to the queues of
  the listeners of their channels;
- one keep-alive task writes a keep-alive to listeners silent for 20 s.

The hub knows nothing of the SSE format, the stream library or grants: items
are opaque apart from their channel and stored id, and the grant decision is
the `Recheck` function each reader was opened with (portal.sse's).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import sync_to_async

__all__ = ["Item", "Reader", "Recheck", "Listener", "Hub", "MAX_PENDING"]

log = logging.getLogger(__name__)
MAX_PENDING = 1000  # items queued for one listener before it re-reads storage instead (a slow client)
UNSTARTED_SECONDS = 60.0  # a listener whose response never began streaming is dropped after this


@dataclass(frozen=True, slots=True)
class Item:
    """One event on one channel, encoded once for every listener (event_id: the stored id, None if unstored)."""

    channel: str
    event_id: int | None
    head: str
    body: str
    with_id: bool = True


@dataclass(frozen=True)
class Reader:
    """Who reads a stream; listeners with equal readers share one grant check."""

    user_pk: Any
    token_id: int | None
    channels: tuple[str, ...]
    user: Any = field(default=None, compare=False, hash=False, repr=False)


Recheck = Callable[[list[Reader]], set[Reader]]  # sync, in a worker thread: which readers may still read


class Listener:
    """One open stream's queue; the stream's response generator drains it."""

    __slots__ = ("reader", "recheck", "channels", "queue", "overflow", "ended", "final", "waiter", "last_write",
                 "last_ids", "floor", "started")

    def __init__(self, reader: Reader, recheck: Recheck) -> None:
        self.reader = reader
        self.recheck = recheck
        self.channels = frozenset(reader.channels)
        self.queue: list[Item] = []
        self.overflow = False  # items were dropped: the stream re-reads storage from last_ids
        self.ended = False
        self.final = ""  # text sent before the stream ends (a stream-error), if any
        self.waiter: asyncio.Future[None] | None = None
        self.last_write = 0.0
        self.last_ids: dict[str, int] = {}  # per stored channel: the id the client has got to
        self.floor: dict[str, int] = {}  # per stored channel: live items at or below it were read from storage
        self.started = False  # the response began to stream (a request cancelled before that never does)

    def push(self, item: Item) -> None:
        if self.ended or self.overflow:
            return
        if len(self.queue) >= MAX_PENDING:
            self.overflow = True
            self.queue.clear()
        else:
            self.queue.append(item)

    def end(self, final: str = "") -> None:
        if not self.ended:
            self.ended, self.final = True, final
            self.queue.clear()
        self.wake()

    def wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    async def wait(self) -> None:
        """Until there is something to send, storage to re-read, or the stream ends."""
        while not (self.queue or self.overflow or self.ended):
            self.waiter = asyncio.get_running_loop().create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None

    def take(self) -> list[Item]:
        items, self.queue = self.queue, []
        return items


@dataclass
class _Checked:
    listeners: int = 0
    at: float = float("-inf")
    ok: bool = True


class Hub:
    """The listener registry of one event loop; every method but the *_threadsafe ones runs on that loop."""

    def __init__(self, keepalive: Item, recheck_seconds: float, keepalive_seconds: float = 20.0) -> None:
        self.keepalive = keepalive
        self.recheck_seconds = recheck_seconds
        self.keepalive_seconds = keepalive_seconds
        self.loop: asyncio.AbstractEventLoop | None = None
        self._by_channel: dict[str, set[Listener]] = {}
        self._readers: dict[Reader, _Checked] = {}
        self._inbox: deque[Item] = deque()
        self._lock = threading.Lock()
        self._scheduled = False
        self._wake: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # --- life --------------------------------------------------------------------
    def bind(self, start: Callable[[], list[asyncio.Task[None]]] = list) -> bool:
        """Bind to the running loop (the first stream of a process); True when this call did.

        `start` creates the loop's other tasks (the Redis subscriber). The tasks
        run in a context of their own, not in a copy of the first stream's request
        context: they outlive that request, and its thread-sensitive context with it.
        """
        loop = asyncio.get_running_loop()
        if self.loop is loop and not loop.is_closed():
            return False
        self.loop, self._by_channel, self._readers = loop, {}, {}
        self._wake = asyncio.Event()
        self._tasks = contextvars.Context().run(
            lambda: [loop.create_task(self._dispatch()), loop.create_task(self._keep_alive()), *start()])
        return True

    def add(self, listener: Listener) -> None:
        listener.last_write = self.loop.time()
        for name in listener.channels:
            self._by_channel.setdefault(name, set()).add(listener)
        self._readers.setdefault(listener.reader, _Checked()).listeners += 1

    def remove(self, listener: Listener) -> None:
        """Unregister (again: a no-op)."""
        if not any(listener in self._by_channel.get(name, ()) for name in listener.channels):
            return
        for name in listener.channels:
            group = self._by_channel.get(name)
            if group is not None:
                group.discard(listener)
                if not group:
                    del self._by_channel[name]
        state = self._readers.get(listener.reader)
        if state is not None:
            state.listeners -= 1
            if state.listeners <= 0:
                del self._readers[listener.reader]

    def listeners(self) -> set[Listener]:
        return {listener for group in self._by_channel.values() for listener in group}

    # --- from any thread -----------------------------------------------------------
    def deliver_threadsafe(self, item: Item) -> None:
        """Queue an item for this process's listeners on its channel (nobody listening yet: dropped)."""
        if self.loop is None:
            return
        self._inbox.append(item)
        with self._lock:
            if self._scheduled:
                return
            self._scheduled = True
        self._call(self._take_inbox)

    def kick_threadsafe(self, user_pk: Any, channel: str, final: str) -> None:
        """End the streams of this user that read `channel`, with `final` as their last words."""
        if self.loop is not None:
            self._call(self._kick, user_pk, channel, final)

    def catch_up_threadsafe(self) -> None:
        """Every listener re-reads storage from where its client got to (live items may have been missed)."""
        if self.loop is not None:
            self._call(self._catch_up_all)

    def _call(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            self.loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop is closed: the process is shutting down
            pass

    # --- on the loop ---------------------------------------------------------------
    def _take_inbox(self) -> None:
        with self._lock:
            self._scheduled = False
        self._wake.set()

    def _kick(self, user_pk: Any, channel: str, final: str) -> None:
        for listener in list(self._by_channel.get(channel, ())):
            if listener.reader.user_pk == user_pk:
                listener.end(final)

    def _catch_up_all(self) -> None:
        for listener in self.listeners():
            listener.overflow = True
            listener.queue.clear()
            listener.wake()

    async def _dispatch(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            items = []
            while self._inbox:
                items.append(self._inbox.popleft())
            try:
                await self._recheck(items)
                self._fan_out(items)
            except Exception:  # one bad burst must not stop the streams
                log.exception("stream hub: a burst of %d items failed", len(items))

    def _fan_out(self, items: list[Item]) -> None:
        woken: set[Listener] = set()
        for item in items:
            for listener in self._by_channel.get(item.channel, ()):
                if item.event_id is not None and not self._readers[listener.reader].ok:
                    listener.end()  # the grants or the token went: the client reconnects to what it may read
                    continue
                listener.push(item)
                woken.add(listener)
        for listener in woken:
            listener.wake()

    async def _recheck(self, items: list[Item]) -> None:
        """Re-read the grants of the readers these stored items go to, once each, in one hop for all."""
        now = self.loop.time()
        stale: dict[Reader, Recheck] = {}
        for name in {item.channel for item in items if item.event_id is not None}:
            for listener in self._by_channel.get(name, ()):
                if now - self._readers[listener.reader].at >= self.recheck_seconds:
                    stale.setdefault(listener.reader, listener.recheck)
        if not stale:
            return
        groups: dict[Recheck, list[Reader]] = {}
        for reader, fn in stale.items():
            groups.setdefault(fn, []).append(reader)
        try:
            allowed = await sync_to_async(_run_rechecks, thread_sensitive=False)(groups)
        except Exception as exc:  # cannot tell who may read: end those streams rather than guess
            log.warning("stream hub: grant re-check failed: %s", exc)
            allowed = set()
        for reader in stale:
            state = self._readers.get(reader)
            if state is not None:
                state.at, state.ok = now, reader in allowed

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(min(5.0, self.keepalive_seconds))
            now = self.loop.time()
            quiet_since = now - self.keepalive_seconds
            for listener in self.listeners():
                if not listener.started:
                    if listener.last_write <= now - UNSTARTED_SECONDS:
                        self.remove(listener)  # its request ended before its response began
                elif listener.last_write <= quiet_since and not listener.queue:
                    listener.push(self.keepalive)
                    listener.wake()


def _run_rechecks(groups: dict[Recheck, list[Reader]]) -> set[Reader]:
    allowed: set[Reader] = set()
    for fn, readers in groups.items():
        allowed |= fn(readers)
    return allowed
