"""`python -m bench.sse_clients PORT PATH N MARKER`: N concurrent SSE clients in a process of their own.

Raw asyncio sockets, so the clients' CPU is not spent in the server being measured. Prints `ready`
once every stream is open (its `stream-open` event arrived), then, once every client saw MARKER in
its stream (or 60 s passed), one JSON line: the arrival times (time.time()) and how many missed it.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

OPEN = b"event: stream-open"


async def client(port: int, path: str, marker: bytes, opened: asyncio.Semaphore, ready: asyncio.Event,
                 counted: list[int]) -> float:
    async with opened:  # connect a few at a time, as browsers arriving do, not as a SYN flood
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n".encode())
        buffer = b""
        while OPEN not in buffer:
            data = await reader.read(65536)
            if not data:
                raise RuntimeError(f"stream closed before it opened: {buffer[:300]!r}")
            buffer += data
    counted[0] += 1
    if counted[0] == counted[1]:
        ready.set()
    buffer = buffer[buffer.index(OPEN):]
    while marker not in buffer:
        data = await reader.read(65536)
        if not data:
            raise RuntimeError("stream closed before the event")
        buffer = buffer[-len(marker):] + data
    at = time.time()
    writer.close()
    return at


async def main(port: int, path: str, n: int, marker: bytes) -> None:
    ready = asyncio.Event()
    counted = [0, n]
    opened = asyncio.Semaphore(50)
    tasks = [asyncio.create_task(client(port, path, marker, opened, ready, counted)) for _ in range(n)]
    waiter = asyncio.create_task(ready.wait())
    deadline = time.monotonic() + 300
    while not ready.is_set():  # a client that failed to open ends the run with its error
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {counted[0]} of {n} streams opened in 300 s")
        failed = [t for t in tasks if t.done() and t.exception()]
        if failed:
            raise failed[0].exception()
        await asyncio.wait([waiter], timeout=1)
    print("ready", flush=True)
    done, pending = await asyncio.wait(tasks, timeout=60)
    for task in pending:
        task.cancel()
    arrivals = [t.result() for t in done if not t.exception()]
    print(json.dumps({"arrivals": arrivals, "missed": n - len(arrivals)}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4].encode()))
