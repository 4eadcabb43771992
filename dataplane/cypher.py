"""Every Cypher statement of the twin graph, in one place.

They use only openCypher that Neo4j 5 and FalkorDB both run unchanged (the
tests run them on FalkorDB; compose and Kubernetes on Neo4j): UNWIND batches,
MERGE, SET, conditional DELETE. A dependency target that is not (yet) a twin
is a node with only an id, so an edge never waits for its target.
"""

from __future__ import annotations

__all__ = ["INDEXES", "UPSERT_TWINS", "SET_STATUS", "DROP_STALE_EDGES", "MERGE_EDGES", "REMOVE_TWINS", "DROP_ORPHANS",
           "KEEP_ONLY", "SMOKE_WRITE", "SMOKE_READ", "SMOKE_DELETE", "EDGES_OF", "NODE"]

INDEXES = ["CREATE INDEX FOR (n:Twin) ON (n.id)"]

# rows: [{id, p: {name, tenant, status}}]
UPSERT_TWINS = "UNWIND $rows AS r MERGE (n:Twin {id: r.id}) SET n += r.p"

# rows: [{id, keep: ["<target>|<kind>", ...]}]: edges a twin no longer declares go.
DROP_STALE_EDGES = (
    "UNWIND $rows AS r MATCH (a:Twin {id: r.id})-[e:DEPENDS_ON]->(b:Twin) "
    "WHERE NOT (b.id + '|' + e.kind) IN r.keep DELETE e"
)

# rows: [{id, status}]
SET_STATUS = "UNWIND $rows AS r MATCH (n:Twin {id: r.id}) SET n.status = r.status"

# edges: [{src, dst, kind}]
MERGE_EDGES = (
    "UNWIND $edges AS e MERGE (a:Twin {id: e.src}) MERGE (b:Twin {id: e.dst}) "
    "MERGE (a)-[r:DEPENDS_ON {kind: e.kind}]->(b)"
)

# ids: a removed twin loses its own edges and properties; a twin others still
# depend on stays as a bare id node (DROP_ORPHANS removes it once nobody does).
REMOVE_TWINS = (
    "UNWIND $ids AS id MATCH (n:Twin {id: id}) OPTIONAL MATCH (n)-[e:DEPENDS_ON]->() DELETE e "
    "SET n.name = NULL, n.tenant = NULL, n.status = NULL"
)
DROP_ORPHANS = (
    "MATCH (n:Twin) WHERE n.name IS NULL AND NOT (n)-[:DEPENDS_ON]-() DELETE n"
)

# The full resync: nodes that are neither registered twins nor declared targets go.
KEEP_ONLY = "MATCH (n:Twin) WHERE NOT n.id IN $ids DETACH DELETE n"

SMOKE_WRITE = "MERGE (n:SmokeCheck {id: $id}) SET n.at = $at"
SMOKE_READ = "MATCH (n:SmokeCheck {id: $id}) RETURN n.at"
SMOKE_DELETE = "MATCH (n:SmokeCheck {id: $id}) DELETE n"

# Reads for tests and the twin page.
EDGES_OF = "MATCH (a:Twin {id: $id})-[e:DEPENDS_ON]->(b:Twin) RETURN b.id, e.kind ORDER BY b.id, e.kind"
NODE = "MATCH (n:Twin {id: $id}) RETURN n.name, n.tenant, n.status"
