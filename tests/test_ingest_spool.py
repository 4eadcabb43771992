"""The spool keeps batches on disk in order; what the ingest acknowledged is there after a restart."""

from __future__ import annotations

import pytest

from dataplane.spool import Spool


def test_a_batch_shrunk_after_a_partial_write_is_what_a_restarted_lane_finds(tmp_path):
    spool = Spool(tmp_path / "timescale", 1024 * 1024)
    first = spool.put([{"k": "obs", "value": 1.0}, {"k": "obs", "value": 17.0}, {"k": "obs", "value": 2.0}])
    spool.put([{"k": "obs", "value": 3.0}])
    spool.replace_head(first, [{"k": "obs", "value": 2.0}])  # 1.0 written, 17.0 dead-lettered

    again = Spool(tmp_path / "timescale", 1024 * 1024)  # the ingest restarted
    assert again.state().depth == 2 and again.state().records == 2
    seq, records = again.peek()
    assert seq == first and records == [{"k": "obs", "value": 2.0}]
    again.pop(seq)
    assert again.peek()[1] == [{"k": "obs", "value": 3.0}]
    assert again.put([{"k": "obs", "value": 4.0}]) > first + 1  # new batches still come after the old ones


def test_a_batch_that_is_not_the_oldest_cannot_be_shrunk(tmp_path):
    spool = Spool(tmp_path / "s", 1024)
    spool.put([{"k": "obs"}])
    second = spool.put([{"k": "obs"}])
    with pytest.raises(ValueError, match="not the oldest"):
        spool.replace_head(second, [])
