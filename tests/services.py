"""`python -m tests.services postgres URL`: exit 0 when the server answers.

Used by `make test` to decide whether the PostgreSQL pass runs. It prints why
not, so a skipped pass is never silent; in CI the Makefile turns it into a
failure (DTP_REQUIRE_SERVICES=1).
"""

from __future__ import annotations

import sys


def postgres_available(url: str) -> str | None:
    """None when PostgreSQL at `url` accepts a connection, else the reason."""
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]
    return None


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] != "postgres":
        print("usage: python -m tests.services postgres URL", file=sys.stderr)
        return 2
    reason = postgres_available(argv[2])
    if reason is None:
        return 0
    print(f"PostgreSQL at {argv[2]} is not reachable ({reason}); the PostgreSQL test pass did not run. "
          "Set DTP_TEST_POSTGRES_URL to a server, or DTP_REQUIRE_SERVICES=1 to make this an error.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
