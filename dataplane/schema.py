"""The data tables (observation, signal, event_log, rollup_1m, rollup_1h) from the SQL files in data-storage/sql.

The SQL files are the one definition: compose and Kubernetes hand them to the
database's init, and the migration and `init_stores` run the same files here,
so a registry started on any of the three has the same tables.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper

__all__ = ["SQL_DIR", "sql_files", "apply_tables"]

SQL_DIR = Path(settings.BASE_DIR) / "data-storage" / "sql"  # PostgreSQL / TimescaleDB (also the db init)
SQLITE_SQL = Path(settings.BASE_DIR) / "data-storage" / "sqlite" / "tables.sql"  # the embedded default


def sql_files(vendor: str) -> list[Path]:
    if vendor == "postgresql":
        return [SQL_DIR / "timescale.sql", SQL_DIR / "events.sql", SQL_DIR / "timescale_rollups.sql"]
    if vendor == "sqlite":
        return [SQLITE_SQL]
    raise ValueError(f"the data tables need PostgreSQL or SQLite, not {vendor}")


def apply_tables(connection: BaseDatabaseWrapper) -> list[str]:
    """Run the SQL files for this database; every statement is idempotent. Returns the files run."""
    ran = []
    for path in sql_files(connection.vendor):
        text = path.read_text(encoding="utf-8")
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.connection.executescript(text)
            else:
                cursor.execute(text)
        ran.append(path.name)
    return ran
