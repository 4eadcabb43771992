"""The twin page's dependency graph, laid out for a server-rendered SVG."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Node", "Edge", "Graph", "dependency_graph"]

WIDTH = 600
ROW = 46
NODE_W = 175
NODE_H = 32


@dataclass(frozen=True)
class Node:
    id: str
    x: int
    y: int
    role: str  # self | static | dynamic | dependent
    registered: bool = True

    @property
    def label(self) -> str:
        return self.id if len(self.id) <= 24 else self.id[:23] + "…"


@dataclass(frozen=True)
class Edge:
    x1: int
    y1: int
    x2: int
    y2: int
    kind: str  # static | dynamic | dependent


@dataclass(frozen=True)
class Graph:
    width: int
    height: int
    nodes: list[Node]
    edges: list[Edge]
    node_w: int = NODE_W
    node_h: int = NODE_H


def _column(items: list[tuple[str, str, bool]], x: int, height: int) -> list[Node]:
    top = (height - len(items) * ROW) // 2 + (ROW - NODE_H) // 2
    return [Node(i, x, top + n * ROW, role, reg) for n, (i, role, reg) in enumerate(items)]


def dependency_graph(twin_id: str, static: list[tuple[str, bool]], dynamic: list[tuple[str, bool]],
                     dependents: list[str]) -> Graph:
    """Dependencies on the left (dynamic dashed), the twin in the middle, dependents on the right."""
    left = [(i, "static", r) for i, r in static] + [(i, "dynamic", r) for i, r in dynamic]
    right = [(i, "dependent", True) for i in dependents]
    height = max(len(left), len(right), 1) * ROW + 20
    center = Node(twin_id, (WIDTH - NODE_W) // 2, (height - NODE_H) // 2, "self")
    lnodes = _column(left, 10, height)
    rnodes = _column(right, WIDTH - NODE_W - 10, height)
    cy = center.y + NODE_H // 2
    edges = [Edge(n.x + NODE_W, n.y + NODE_H // 2, center.x, cy, n.role) for n in lnodes]
    edges += [Edge(center.x + NODE_W, cy, n.x, n.y + NODE_H // 2, "dependent") for n in rnodes]
    return Graph(WIDTH, height, [center, *lnodes, *rnodes], edges)
