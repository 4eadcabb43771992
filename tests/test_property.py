"""Property: reconciling the same tree twice changes nothing the second time."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.models import PortalEvent, SpecFileError, Twin, UpdateCmd
from registry.reconcile import scan_roots

pytestmark = pytest.mark.django_db

ids = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)
tenants = st.sampled_from(["acme", "lab", "plant-7"])
names = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=20).filter(
    lambda s: s.strip())
topics = st.lists(st.from_regex(r"dtp/[a-z]{1,5}/[a-z0-9]{1,5}", fullmatch=True), max_size=3, unique=True)


@st.composite
def spec(draw) -> dict:
    doc = {"id": draw(ids), "name": draw(names), "tenant": draw(tenants)}
    if draw(st.booleans()):
        doc["metadata"] = {"domain": draw(st.lists(st.sampled_from(["lift", "hvac", "iot"]), unique=True)),
                           "status": draw(st.sampled_from(["active", "draft", "maintenance"]))}
    streams = draw(topics)
    if streams:
        doc["interfaces"] = {"data_streams": [f"mqtt://{t}" for t in streams]}
    return doc


# A tree: folder name -> spec (valid), or a raw broken text.
trees = st.dictionaries(
    st.from_regex(r"[a-z]{1,6}", fullmatch=True),
    st.one_of(spec(), st.sampled_from(["id: [", "name: x\n", "id: x\nname: y\ntenant: BAD\n"])),
    min_size=1, max_size=8,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=trees, deps=st.data())
def test_a_second_reconcile_of_the_same_tree_changes_nothing(files, deps):
    Twin.objects.all().delete()
    SpecFileError.objects.all().delete()
    root = Path(tempfile.mkdtemp(prefix="dtp-prop-"))
    try:
        all_ids = [d["id"] for d in files.values() if isinstance(d, dict)]
        for folder, doc in files.items():
            if isinstance(doc, dict) and all_ids:
                others = [i for i in all_ids if i != doc["id"]]
                if others:
                    doc["dependencies"] = {"static": deps.draw(st.lists(st.sampled_from(others), unique=True))}
            text = yaml.safe_dump(doc, allow_unicode=True) if isinstance(doc, dict) else doc
            (root / folder).mkdir()
            (root / folder / "twin.yaml").write_text(text, encoding="utf-8")

        scan_roots([str(root)])
        snapshot = (list(Twin.objects.order_by("id").values()), PortalEvent.objects.count(),
                    UpdateCmd.objects.count(), list(SpecFileError.objects.order_by("id").values()))
        second = scan_roots([str(root)])

        assert not second.changed and second.events == 0
        assert (list(Twin.objects.order_by("id").values()), PortalEvent.objects.count(),
                UpdateCmd.objects.count(), list(SpecFileError.objects.order_by("id").values())) == snapshot
    finally:
        shutil.rmtree(root)
