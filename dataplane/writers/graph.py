"""The twin graph: a projection of the registry into Neo4j (bolt:// or neo4j://)
or FalkorDB (falkordb://host:port/graph), with the statements of cypher.py.

Only the session differs between the two engines; every batch runs the same
statements, so what the tests prove on FalkorDB is what Neo4j runs.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from .. import cypher
from .base import Health, Probe, StoreDown

__all__ = ["GraphWriter", "GraphSession", "open_session"]


class GraphSession:
    """run(statement, params) -> rows as lists, on either engine."""

    def __init__(self, url: str, user: str, password: str, timeout: float):
        parts = urlsplit(url)
        self.scheme = parts.scheme
        self.url = url
        if self.scheme == "falkordb":
            from falkordb import FalkorDB

            self._db = FalkorDB(host=parts.hostname or "127.0.0.1", port=parts.port or 6379,
                                password=parts.password, socket_timeout=timeout)
            self._graph = self._db.select_graph(parts.path.strip("/") or "dtp")
            self._driver = None
        elif self.scheme in ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc"):
            import neo4j

            self._driver = neo4j.GraphDatabase.driver(url, auth=(user, password) if password else None,
                                                      connection_timeout=timeout)
            self._database = parts.path.strip("/") or None
        else:
            raise ValueError(f"NEO4J_URL {url!r}: use bolt://, neo4j:// or falkordb://host:port")

    def run(self, statement: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
        if self._driver is None:
            return [list(row) for row in self._graph.query(statement, params or {}).result_set]
        records, _, _ = self._driver.execute_query(statement, params or {}, database_=self._database)
        return [list(r.values()) for r in records]

    def close(self) -> None:
        if self._driver is not None:
            self._driver.close()
        else:
            self._db.connection.close()


def open_session(url: str, user: str = "", password: str = "", timeout: float = 5.0) -> GraphSession:
    return GraphSession(url, user, password, timeout)


def _apply(session: GraphSession, records: list[dict[str, Any]]) -> None:
    """Apply records in order; consecutive upserts share one statement round."""
    i = 0
    while i < len(records):
        kind = records[i]["k"]
        j = i
        while j < len(records) and records[j]["k"] == kind:
            j += 1
        group = records[i:j]
        if kind == "twin":
            latest = {r["id"]: r for r in group}  # the last state of each twin in the run
            rows = [{"id": r["id"], "p": {"name": r["name"], "tenant": r["tenant"], "status": r["status"]},
                     "keep": [f"{d['target']}|{d['kind']}" for d in r["deps"]]} for r in latest.values()]
            session.run(cypher.UPSERT_TWINS, {"rows": [{"id": r["id"], "p": r["p"]} for r in rows]})
            session.run(cypher.DROP_STALE_EDGES, {"rows": [{"id": r["id"], "keep": r["keep"]} for r in rows]})
            session.run(cypher.DROP_ORPHANS)
            edges = [{"src": r["id"], "dst": d["target"], "kind": d["kind"]}
                     for r in latest.values() for d in r["deps"]]
            if edges:
                session.run(cypher.MERGE_EDGES, {"edges": edges})
        elif kind == "twin_status":
            session.run(cypher.SET_STATUS, {"rows": [{"id": r["id"], "status": r["status"]} for r in group]})
        elif kind == "twin_gone":
            session.run(cypher.REMOVE_TWINS, {"ids": sorted({r["id"] for r in group})})
            session.run(cypher.DROP_ORPHANS)
        elif kind == "twin_all":  # a full resync: nothing else may stay
            session.run(cypher.KEEP_ONLY, {"ids": group[-1]["ids"]})
        i = j


class GraphWriter:
    name = "graph"
    label = "Neo4j"
    kinds = frozenset({"twin", "twin_status", "twin_gone", "twin_all"})

    def __init__(self, url: str, user: str, password: str, timeout: float = 5.0):
        self.url, self.user, self.password, self.timeout = url, user, password, timeout
        self.endpoint = url.split("@")[-1]
        if url.startswith("falkordb:"):
            self.label = "Graph"
        self._session: GraphSession | None = None

    def open(self) -> None:
        if self._session is None:
            try:
                self._session = open_session(self.url, self.user, self.password, self.timeout)
            except ValueError:
                raise
            except Exception as exc:
                raise StoreDown(f"{self.endpoint}: {exc}") from exc

    def close(self) -> None:
        if self._session is not None:
            try:
                self._session.close()
            finally:
                self._session = None

    def ensure_indexes(self) -> None:
        self.open()
        for statement in cypher.INDEXES:
            try:
                self._session.run(statement)
            except Exception as exc:  # both engines refuse a second identical index
                if "already" not in str(exc).lower() and "equivalent" not in str(exc).lower():
                    raise

    def write(self, records: list[dict[str, Any]]) -> None:
        records = [r for r in records if r["k"] in self.kinds]
        if not records:
            return
        try:
            self.open()
            _apply(self._session, records)
        except StoreDown:
            raise
        except Exception as exc:
            self.close()
            raise StoreDown(f"{self.endpoint}: {exc}"[:500]) from exc

    def health(self) -> Health:
        try:
            self.open()
            self._session.run("RETURN 1")
            return Health("ok", self.endpoint)
        except Exception as exc:
            self.close()
            return Health("down", f"{self.endpoint}: {exc}"[:300])

    def probe(self, marker: str) -> Probe:
        at = datetime.now(timezone.utc).isoformat()
        try:
            self.open()
            self._session.run(cypher.SMOKE_WRITE, {"id": marker, "at": at})
        except Exception as exc:
            self.close()
            return Probe(False, False, f"{self.endpoint}: {exc}"[:300])
        try:
            found = self._session.run(cypher.SMOKE_READ, {"id": marker})
            self._session.run(cypher.SMOKE_DELETE, {"id": marker})
            return Probe(True, found == [[at]], "" if found else "written node not found")
        except Exception as exc:
            self.close()
            return Probe(True, False, f"{self.endpoint}: {exc}"[:300])
