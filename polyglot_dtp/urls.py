from django.contrib import admin
from django.urls import include, path
from django_eventstream.views import events as event_stream

urlpatterns = [
    path("admin/", admin.site.urls),
    # Server-Sent Events (django-eventstream); channels come from ?tenant= (portal.stream).
    path("api/portal/stream", event_stream, name="portal-stream"),
    path("", include("portal.urls")),
]
