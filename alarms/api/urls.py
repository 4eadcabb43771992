from django.urls import path

from . import params as _params  # noqa: F401  (registers <rowid:...>)
from . import views

urlpatterns = [
    path("alarms", views.AlarmListView.as_view(), name="alarm-list"),
    path("alarms/<rowid:alarm_id>", views.AlarmDetailView.as_view(), name="alarm-detail"),
    path("alarms/<rowid:alarm_id>/ack", views.AlarmAckView.as_view(), name="alarm-ack"),
    path("alarms/<rowid:alarm_id>/clear", views.AlarmClearView.as_view(), name="alarm-clear"),
    path("alarms/<rowid:alarm_id>/assign", views.AlarmAssignView.as_view(), name="alarm-assign"),
    path("alarms/<rowid:alarm_id>/comments", views.AlarmCommentView.as_view(), name="alarm-comments"),
    path("incidents", views.IncidentListView.as_view(), name="incident-list"),
    path("incidents/<rowid:incident_id>", views.IncidentDetailView.as_view(), name="incident-detail"),
]
