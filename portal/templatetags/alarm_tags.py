"""The twin page's alarm panel: its alarms and their timeline, scoped by who is reading."""

from __future__ import annotations

from typing import Any

from django import template

from alarms import selectors
from portal import access

register = template.Library()


@register.inclusion_tag("portal/_twin_alarms.html", takes_context=True)
def twin_alarms(context: dict[str, Any], twin_id: str) -> dict[str, Any]:
    scope = access.scope(getattr(context.get("request"), "user", None))
    alarms = list(selectors.alarms_visible_to(scope).filter(twin_id=twin_id).order_by("-id")[:20])
    timeline = []
    for alarm in alarms[:5]:
        timeline += [(step, alarm) for step in selectors.alarm_history(alarm)]
    timeline.sort(key=lambda pair: pair[0].at, reverse=True)
    return {"alarms": alarms, "timeline": timeline[:30], "twin_id": twin_id}


@register.simple_tag(takes_context=True)
def alarm_totals(context: dict[str, Any]) -> dict[str, int]:
    """Active alarms by severity for the header (empty for someone who may not read)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or not access.may_read(user):
        return {}
    from portal.alarm_views import counts

    return counts(access.scope(user))["total"]
