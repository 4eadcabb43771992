from django.urls import path

from . import alarm_views, models_views, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("cards/", views.cards, name="cards"),
    path("cards/values/", views.card_values, name="card-values"),
    path("twins/<str:twin_id>/", views.twin, name="twin"),
    path("twins/<str:twin_id>/alerts/", views.twin_alerts, name="twin-alerts"),
    path("twins/<str:twin_id>/observations.json", views.twin_observations, name="twin-observations"),
    path("events/", views.events, name="events"),
    path("events/rows/", views.event_rows, name="event-rows"),
    path("alarms/", alarm_views.alarms_page, name="alarms"),
    path("alarms/counts.json", alarm_views.alarm_counts, name="alarm-counts"),
    path("incidents/<int:incident_id>/", alarm_views.incident_page, name="incident"),
    path("webhooks/", alarm_views.webhooks_page, name="webhooks"),
    path("errors/", views.errors, name="errors"),
    path("models/", models_views.models_page, name="models"),
    path("account/tokens/", views.tokens, name="tokens"),
    path("api/portal/health", views.health_json, name="health"),
    path("favicon.ico", views.favicon, name="favicon"),
]
