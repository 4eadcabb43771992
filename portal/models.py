"""What the portal keeps of its own: the stream's retention mark."""

from __future__ import annotations

from django.db import models


class StreamMark(models.Model):
    """Highest PortalEvent id removed by `prune_events` (one row).

    A client resuming from an id below it may have missed pruned events, so it
    is told to reset instead of being served a gap.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    pruned_through = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "stream retention mark"
