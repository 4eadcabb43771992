"""A revoked grant ends the reader's open streams on what it covered, in this process at once.

Streams in other processes end at their next stored event, when portal.sse
re-checks the reader's grants; this makes the common case (the admin or an
API call in the web process itself) immediate.
"""

from __future__ import annotations

from tenancy.services import Revocation

from . import eventstream
from .stream import channels_lost

__all__ = ["cut_streams"]


def cut_streams(revocation: Revocation) -> None:
    channels = channels_lost(set(revocation.tenants), set(revocation.twins))
    for user in revocation.users:
        eventstream.kick(user, channels)
