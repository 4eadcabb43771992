"""When a failed delivery is tried again: a fixed schedule with jitter, then a steady interval, then never.

The default (DTP_WEBHOOK_RETRY_SCHEDULE and friends) follows Azure Event Grid's shape: 10 s, 30 s, 1 m,
5 m, 10 m, 30 m, 1 h, then hourly until 24 h after the event. Jitter spreads the retries of many
deliveries that failed together (a receiver's outage) so they do not return as one burst.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT = {"ms": 0.001, "s": 1, None: 1, "m": 60, "h": 3600, "d": 86400}

# HTTP statuses that mean "try later"; every other 4xx is the receiver saying no, and is final.
RETRYABLE_4XX = {408, 429}


def seconds(text: str) -> float:
    """'10s', '5m', '1h', '250ms' or a bare number of seconds."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration; write e.g. 10s, 5m, 1h or 250ms")
    return float(match.group(1)) * _UNIT[match.group(2)]


@dataclass(frozen=True)
class RetryPolicy:
    delays: tuple[float, ...]
    every: float
    give_up_after: float
    jitter: float

    @classmethod
    def from_settings(cls) -> "RetryPolicy":
        return cls(delays=tuple(seconds(d) for d in settings.DTP_WEBHOOK_RETRY_SCHEDULE),
                   every=seconds(settings.DTP_WEBHOOK_RETRY_EVERY),
                   give_up_after=seconds(settings.DTP_WEBHOOK_GIVE_UP_AFTER),
                   jitter=settings.DTP_WEBHOOK_RETRY_JITTER)

    def next_attempt(self, failures: int, retry_from: datetime, now: datetime,
                     at_least: float = 0.0) -> datetime | None:
        """After `failures` failed attempts, when to try again; None once the give-up time has passed."""
        base = self.delays[failures - 1] if failures <= len(self.delays) else self.every
        delay = max(base * random.uniform(1 - self.jitter, 1 + self.jitter), at_least)
        when = now + timedelta(seconds=delay)
        if when > retry_from + timedelta(seconds=self.give_up_after):
            return None
        return when


def retryable(status_code: int | None) -> bool:
    """No answer (refused, timed out) and 5xx, 3xx, 408, 429 are retried; other 4xx are final."""
    if status_code is None:
        return True
    return not (400 <= status_code < 500) or status_code in RETRYABLE_4XX
