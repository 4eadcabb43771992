"""Alarm and incident views: thin. Scoping from alarms.selectors, writes from alarms.services.

Viewers read; operators (and admins) acknowledge, clear, assign and comment. An alarm the caller
may not see is a 404, the same answer as one that does not exist.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from registry.api.errors import Conflict, FieldErrors
from registry.api.params import StrictCursor
from registry.api.views import ScopedView
from tenancy.access import access_for
from tenancy.models import Role

from .. import selectors, services
from ..models import Alarm, Incident
from . import serializers as s
from .filtersets import AlarmFilterSet, IncidentFilterSet

NOT_FOUND = "No such resource, or not one you may see."


class NewestFirst(StrictCursor):
    ordering = "-id"


class AlarmView(ScopedView, generics.GenericAPIView):
    serializer_class = s.AlarmOut

    def alarm(self, alarm_id: int) -> Alarm:
        alarm = selectors.alarm_for(self.access(), alarm_id)
        if alarm is None:
            raise exceptions.NotFound(NOT_FOUND)
        return alarm

    def operated(self, alarm_id: int) -> Alarm:
        alarm = self.alarm(alarm_id)
        if not selectors.can_operate(self.access(), alarm):
            raise exceptions.PermissionDenied(f"This needs the operator role on tenant {alarm.tenant!r}.")
        return alarm

    def detail(self, alarm_id: int, code: int = status.HTTP_200_OK) -> Response:
        return Response(s.AlarmDetailOut(self.alarm(alarm_id)).data, status=code)


@extend_schema(summary="List alarms, newest first", responses=s.AlarmOut(many=True))
class AlarmListView(AlarmView):
    pagination_class = NewestFirst
    filterset_class = AlarmFilterSet
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self):
        return selectors.alarms_visible_to(self.access()).select_related("acknowledged_by", "assignee")

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(s.AlarmOut(page, many=True).data)


@extend_schema(summary="One alarm with its history (transitions and comments)", responses=s.AlarmDetailOut)
class AlarmDetailView(AlarmView):
    def get(self, request: Request, alarm_id: int) -> Response:
        return self.detail(alarm_id)


def _refused(exc: services.AlarmError) -> Conflict:
    return Conflict(str(exc))


@extend_schema(summary="Acknowledge an alarm (operators)", request=None, responses=s.AlarmDetailOut)
class AlarmAckView(AlarmView):
    def post(self, request: Request, alarm_id: int) -> Response:
        alarm = self.operated(alarm_id)
        try:
            services.acknowledge(alarm.id, request.user)
        except services.AlarmError as exc:
            raise _refused(exc) from None
        return self.detail(alarm.id)


@extend_schema(summary="Clear an active alarm (operators)", request=s.NoteIn, responses=s.AlarmDetailOut)
class AlarmClearView(AlarmView):
    def post(self, request: Request, alarm_id: int) -> Response:
        alarm = self.operated(alarm_id)
        body = s.NoteIn(data=request.data if request.data else {})
        body.is_valid(raise_exception=True)
        try:
            services.clear(alarm.id, request.user, note=body.validated_data["note"])
        except services.AlarmError as exc:
            raise _refused(exc) from None
        return self.detail(alarm.id)


@extend_schema(summary="Assign an alarm to a user, or unassign it with null (operators)", request=s.AssignIn,
               responses=s.AlarmDetailOut)
class AlarmAssignView(AlarmView):
    def post(self, request: Request, alarm_id: int) -> Response:
        alarm = self.operated(alarm_id)
        body = s.AssignIn(data=request.data)
        body.is_valid(raise_exception=True)
        name = body.validated_data["assignee"]
        assignee = None
        if name is not None:
            assignee = get_user_model().objects.filter(username=name, is_active=True).first()
            if assignee is None or not access_for(assignee).can(Role.VIEWER, alarm.tenant, alarm.twin_id):
                raise FieldErrors([{"field": "assignee", "message": f"assignee {name!r} is no user who can see "
                                                                    "this alarm; name one with a grant on its twin"}])
        services.assign(alarm.id, assignee, request.user)
        return self.detail(alarm.id)


@extend_schema(summary="Comment on an alarm (operators); the comment joins its history", request=s.CommentIn,
               responses={201: s.TransitionOut})
class AlarmCommentView(AlarmView):
    def post(self, request: Request, alarm_id: int) -> Response:
        alarm = self.operated(alarm_id)
        body = s.CommentIn(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            step = services.comment(alarm.id, request.user, body.validated_data["text"])
        except services.AlarmError as exc:
            raise FieldErrors([{"field": "text", "message": str(exc)}]) from None
        return Response(s.TransitionOut(step).data, status=status.HTTP_201_CREATED)


class IncidentView(ScopedView, generics.GenericAPIView):
    serializer_class = s.IncidentOut

    def get_queryset(self):
        return selectors.incidents_visible_to(self.access())


@extend_schema(summary="List incidents (correlated alarms), newest first", responses=s.IncidentOut(many=True))
class IncidentListView(IncidentView):
    pagination_class = NewestFirst
    filterset_class = IncidentFilterSet
    filter_backends = [DjangoFilterBackend]

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(s.IncidentOut(page, many=True).data)


@extend_schema(summary="One incident with its alarms", responses=s.IncidentDetailOut)
class IncidentDetailView(IncidentView):
    def get(self, request: Request, incident_id: int) -> Response:
        try:
            incident = self.get_queryset().get(pk=incident_id)
        except Incident.DoesNotExist:
            raise exceptions.NotFound(NOT_FOUND) from None
        return Response(s.IncidentDetailOut(incident).data)
