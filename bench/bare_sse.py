"""`python -m bench.bare_sse PORT`: the fan-out baseline, a bare asyncio Server-Sent Events server.

GET (any path) opens a stream: the response head, then `stream-open` as django-eventstream sends
it. POST /emit writes the request body, as one SSE event, to every open stream and answers 204.
Nothing else: no framework, no storage, no access checks, the floor one process can do.
"""

from __future__ import annotations

import asyncio
import sys

HEAD = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n")
streams: set[asyncio.StreamWriter] = set()


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:  # a port probe: connected and left
        writer.close()
        return
    if head.startswith(b"POST"):
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
        event = chunk(await reader.readexactly(length))
        for stream in list(streams):
            stream.write(event)
        writer.write(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()
        return
    writer.write(HEAD + chunk(b"event: stream-open\ndata: \n\n"))
    streams.add(writer)
    try:
        await reader.read()  # until the client goes away
    finally:
        streams.discard(writer)
        writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
