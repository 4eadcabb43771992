"""The happy path of reading a twin.yaml: libyaml's node tree turned into plain data, storable or given up.

Most files in a tree are plain and valid, and the composed path of spec.py
(which records every position so an error can be placed) costs more than the
file is worth for them. This reads the same node tree that `yaml.load` with
libyaml's CSafeLoader composes and builds the same values spec.py's builder
would (aliases expanded within the same budget, merge keys applied the same
way), checking on the way what `values.problems` would check afterwards
(strings, numbers, keys, depth, size), so a document that comes out of here
needs no second walk. Anything it is not sure of (a recursive alias, a
duplicate or non-string key, another tag, a value the registry would not
store, too many values) raises `GiveUp`: the caller then takes the composed
path, which judges the file and words its errors. So giving up is never
wrong, only slower.

Django-free, like spec.py.
"""

from __future__ import annotations

import math
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .values import MAX_DEPTH, MAX_INTEGER, MAX_KEY_CHARS, MAX_STRING_CHARS, MAX_VALUES

__all__ = ["GiveUp", "load"]

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"
# The other scalars spec.py accepts, read by PyYAML's own constructors (as spec.py's builder reads them).
_CONSTRUCTOR = yaml.SafeLoader("")
_SCALARS = {tag: _CONSTRUCTOR.yaml_constructors[tag] for tag in
            ("tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")}


class GiveUp(Exception):
    """Only the composed path may judge this document (and word what is wrong with it)."""


def _text(value: str, limit: int) -> str:
    """`value` if values.text_problem would find nothing wrong with it; else give up."""
    if len(value) > limit or "\x00" in value:
        raise GiveUp("a string the registry does not store as it is")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate, from an escape in a quoted string
            raise GiveUp("a lone surrogate") from None
    return value


class _Reader:
    """Builds what spec.py's _Builder builds from the same nodes: aliases expanded, merge keys applied."""

    def __init__(self, aliases_possible: bool) -> None:
        self.budget = MAX_VALUES  # counted as _Builder counts: one per node built, expansions included
        # Without an anchor in the text no node is reached twice, so no alias can loop.
        self.active: set[int] | None = set() if aliases_possible else None

    def value(self, node: yaml.Node, depth: int) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise GiveUp("too many values")
        tag, kind = node.tag, node.__class__
        if kind is ScalarNode:
            if tag == _STR or tag == _TIMESTAMP:  # dates stay as written; JSON has no date type
                text = node.value  # what _text checks, inline: most values are short ASCII strings
                if len(text) > MAX_STRING_CHARS or "\x00" in text or not text.isascii():
                    return _text(text, MAX_STRING_CHARS)
                return text
            return self.scalar(node)
        if depth >= MAX_DEPTH:
            raise GiveUp("too deep")
        if self.active is None:
            return self.collection(node, depth)
        if id(node) in self.active:
            raise GiveUp("a recursive alias")
        self.active.add(id(node))
        try:
            return self.collection(node, depth)
        finally:
            self.active.discard(id(node))

    def collection(self, node: yaml.Node, depth: int) -> Any:
        if node.__class__ is SequenceNode and node.tag == _SEQ:
            return [self.value(child, depth + 1) for child in node.value]
        if node.__class__ is not MappingNode or node.tag != _MAP:
            raise GiveUp(node.tag)
        result: dict[str, Any] = {}
        merged: dict[str, Any] | None = None
        for key_node, value_node in node.value:
            if key_node.__class__ is not ScalarNode or key_node.tag != _STR:
                if key_node.tag != _MERGE:
                    raise GiveUp("a key that is not a plain string")
                merged = {} if merged is None else merged
                for source in self.merge_sources(value_node):
                    for k, v in self.value(source, depth).items():
                        merged.setdefault(k, v)
                continue
            key = key_node.value
            if key in result:
                raise GiveUp("a duplicate key")
            result[_text(key, MAX_KEY_CHARS)] = self.value(value_node, depth + 1)
        if merged:
            for k, v in merged.items():
                result.setdefault(k, v)
        return result

    @staticmethod
    def merge_sources(node: yaml.Node) -> list[MappingNode]:
        if node.__class__ is MappingNode:
            return [node]
        if node.__class__ is SequenceNode and all(n.__class__ is MappingNode for n in node.value):
            return list(node.value)
        raise GiveUp("a merge key that takes neither a mapping nor a list of mappings")

    @staticmethod
    def scalar(node: ScalarNode) -> Any:
        construct = _SCALARS.get(node.tag)
        if construct is None:
            raise GiveUp(node.tag)
        value = construct(_CONSTRUCTOR, node)
        if isinstance(value, float) and not math.isfinite(value):
            raise GiveUp("a non-finite number")
        if isinstance(value, int) and not isinstance(value, bool) and not -MAX_INTEGER - 1 <= value <= MAX_INTEGER:
            raise GiveUp("a whole number beyond 64 bits")
        return value


def load(text: str) -> Any:
    """The document's data, every value in it storable; GiveUp (or a yaml.YAMLError) otherwise."""
    loader = yaml.CSafeLoader(text)
    try:
        node = loader.get_single_node()
    finally:
        loader.dispose()
    if node is None:
        raise GiveUp("an empty document")
    return _Reader("&" in text).value(node, 0)
