"""`python -m dataplane.broker [--port N]`: the embedded MQTT broker of `make run` (amqtt).

It is a real MQTT 3.1.1 broker in a process of its own, so a newcomer needs no
server installed. When the port is taken (machines running Mosquitto hold
1883), it says so in one line with what to do, and exits with code 3.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import socket
import sys

__all__ = ["port_is_free", "serve", "PORT_TAKEN"]

PORT_TAKEN = 3


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


async def serve(host: str, port: int) -> None:
    from amqtt.broker import Broker

    broker = Broker({"listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}"}},
                     "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}}})
    await broker.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Under `make run` the supervisor stops the broker last with SIGTERM; a terminal's Ctrl-C, which
    # reaches the whole process group, is ignored there (SIG_IGN inherited) and must stay ignored.
    signals = [signal.SIGTERM] + ([] if signal.getsignal(signal.SIGINT) == signal.SIG_IGN else [signal.SIGINT])
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    print(f"embedded MQTT broker on mqtt://{host}:{port}", flush=True)
    await stop.wait()
    await broker.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1883)
    args = parser.parse_args(argv)
    if not port_is_free(args.host, args.port):
        print(f"MQTT port {args.host}:{args.port} is taken (another broker, e.g. Mosquitto?): set "
              f"MQTT_URL=mqtt://{args.host}:{args.port} to use that broker, or DTP_MQTT_EMBEDDED_PORT to move "
              f"the embedded one", file=sys.stderr)
        return PORT_TAKEN
    logging.getLogger("amqtt").setLevel(logging.WARNING)
    logging.getLogger("transitions").setLevel(logging.WARNING)
    asyncio.run(serve(args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
