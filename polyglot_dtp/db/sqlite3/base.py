"""Django's SQLite backend, creating the database's folder on the first real connection only.

Settings must not write: a read-only command (`scan_twins --check`) pointed
at a database that does not exist yet must leave no folder and no empty file
behind. So the folder is made here, when a connection is really opened (by
`migrate`, or the server), and a reader that only wants to know whether the
registry exists asks `database_exists()` first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db.backends.sqlite3 import base

__all__ = ["DatabaseWrapper"]


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        name = str(conn_params.get("database", ""))
        if name and name != ":memory:" and not name.startswith("file:"):
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        return super().get_new_connection(conn_params)

    def database_exists(self) -> bool:
        """Whether the file is there, without opening it (opening would create it)."""
        name = str(self.settings_dict.get("NAME", ""))
        return name in ("", ":memory:") or Path(name).is_file()
