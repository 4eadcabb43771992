"""Property: a twin.yaml means what PyYAML's reference loader reads from it, judged as an API body would be.

parse_spec reads most files the fast way (registry/spec_fast.py: no positions, values
checked while read) and the rest the composed way; either way the outcome must be the
one `validate_document` gives for the data PyYAML's pure-Python SafeLoader reads from the
same text (dates kept as written): the same spec, or a refusal.
"""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.spec import TwinSpec, parse_spec, validate_document


class _Reference(yaml.SafeLoader):
    """PyYAML's pure-Python loader, dates kept as written (JSON has no date type)."""


_Reference.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


def _outcome_matches_the_reference(text: str) -> None:
    """The same spec (keys in the same order), or errors.

    (Their sentences may differ: a file's reader words some refusals itself, placed in the file.)
    """
    parsed = parse_spec(text.encode("utf-8"), "t.yaml")
    expected = validate_document(yaml.load(text, Loader=_Reference))
    if isinstance(expected, TwinSpec):
        assert parsed.ok, parsed.errors
        assert parsed.spec == expected
        assert list(parsed.spec.metadata) == list(expected.metadata)
    else:
        assert not parsed.ok and parsed.errors


scalars = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(st.characters(codec=None), max_size=12),  # NUL, lone surrogates, any plane
    st.sampled_from(["2024-05-01", "0x1F", "1_000", "0o17", "1:30", "yes", "~", "<<", "=", "0b101"]),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(st.characters(codec=None), max_size=6), inner, max_size=4)),
    max_leaves=20)


@st.composite
def documents(draw) -> dict:
    doc = {"id": draw(st.sampled_from(["lift-1", "a", "Bad Id"])), "name": draw(st.text(max_size=8)),
           "tenant": draw(st.sampled_from(["acme", "plant-7"]))}
    metadata = draw(st.dictionaries(st.text(st.characters(codec=None), max_size=6), values, max_size=4))
    if draw(st.booleans()):
        metadata["status"] = draw(st.sampled_from(["active", "draft", "gone"]))
    if metadata or draw(st.booleans()):
        doc["metadata"] = metadata
    shared = draw(values)
    if draw(st.booleans()):  # one object in two places: safe_dump writes an anchor and an alias
        doc.setdefault("metadata", {}).update({"a": shared, "b": shared})
    if draw(st.booleans()):
        doc["interfaces"] = {"data_streams": draw(st.lists(st.one_of(
            st.sampled_from(["mqtt://dtp/a/t", "mqtt://dtp/a/#", "mqtt://dtp/a/t", "nope"]),
            st.fixed_dictionaries({"uri": st.just("mqtt://dtp/b/x")}, optional={"unit": scalars, "interval": scalars}),
        ), max_size=3))}
    return doc


@settings(max_examples=300, deadline=None)
@given(doc=documents(), flow=st.booleans(), unicode=st.booleans())
def test_any_document_reads_as_the_reference_loader_reads_it(doc, flow, unicode):
    _outcome_matches_the_reference(yaml.safe_dump(doc, default_flow_style=flow, allow_unicode=unicode))


def _nested(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


@pytest.mark.parametrize("text", [
    # merge keys: explicit keys win, earlier sources win over later ones
    "id: a\nname: A\ntenant: acme\nmetadata:\n  base: &b {x: 1, y: 2}\n  other: &o {y: 3, z: 4}\n"
    "  m: {<<: [*b, *o], x: 9}\n",
    "id: a\nname: A\ntenant: acme\nm: &m {status: draft}\nmetadata: {<<: *m, serial: S}\n",
    "id: a\nname: A\ntenant: acme\nmetadata: {<<: {x: \"\\0\"}}\n",  # a NUL arriving through a merge
    "id: a\nname: A\ntenant: acme\nmetadata:\n  s: \"\\ud800\"\n",  # a lone surrogate from an escape
    "id: a\nname: A\ntenant: acme\nmetadata:\n  n: 9223372036854775808\n  m: -9223372036854775808\n",
    "id: a\nname: A\ntenant: acme\nmetadata:\n  f: .inf\n",
    "id: a\nname: A\ntenant: acme\nmetadata:\n  s: " + "x" * 65_537 + "\n",
    "id: a\nname: A\ntenant: acme\nmetadata:\n  " + "k" * 257 + ": 1\n",
    "id: a\nname: A\ntenant: acme\nmetadata:\n  d: 2024-05-01\n",
    *(f"id: a\nname: A\ntenant: acme\nmetadata:\n  deep: {_nested(n)}\n" for n in (61, 62)),
    "id: a\nname: A\ntenant: acme\nmetadata:\n  many: [" + ", ".join(["1"] * 19_994) + "]\n",
], ids=lambda t: t[36:70])
def test_edge_documents_read_as_the_reference_loader_reads_them(text):
    _outcome_matches_the_reference(text)


@pytest.mark.parametrize("text", [
    *(f"id: a\nname: A\ntenant: acme\nmetadata:\n  deep: {_nested(n)}\n" for n in (63, 64)),
    "id: a\nname: A\ntenant: acme\nmetadata:\n  many: [" + ", ".join(["1"] * 19_995) + "]\n",
], ids=lambda t: t[36:70])
def test_documents_past_the_limits_are_refused_as_the_reference_is(text):
    _outcome_matches_the_reference(text)


def test_merged_keys_follow_the_keys_written_out():
    parsed = parse_spec(b"id: a\nname: A\ntenant: acme\n"
                        b"metadata: {b: &b {z: 1, y: 2}, m: {<<: *b, status: draft, a: 0}}\n", "t.yaml")
    assert list(parsed.spec.metadata["m"]) == ["status", "a", "z", "y"]
