"""`python -m polyglot_dtp.web`: the web process alone, as the container images start it.

It runs exactly the uvicorn command `make run` runs (supervisor.web_argv), with
the settings' DTP_TRUSTED_PROXIES as the only proxies whose forwarded headers
are believed, so no deployment can fall back to uvicorn's own default (trust
127.0.0.1, and with it anything a local sidecar forwards).
"""

from __future__ import annotations

import argparse
import os


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "polyglot_dtp.settings")
    from django.conf import settings

    from polyglot_dtp.supervisor import web_argv

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=settings.DTP_HOST)
    parser.add_argument("--port", type=int, default=settings.DTP_PORT)
    args = parser.parse_args()
    argv = web_argv(args.host, args.port, trusted_proxies=settings.DTP_TRUSTED_PROXIES)
    os.execv(argv[0], argv)  # uvicorn becomes the container's process: signals reach it directly


if __name__ == "__main__":
    main()
