from django.contrib import admin
from django.urls import include, path

from polyglot_dtp import probes
from portal.sse import stream
from tenancy.views import LoginView

urlpatterns = [
    path("healthz", probes.healthz, name="healthz"),
    path("readyz", probes.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/", include("registry.api.urls")),
    path("api/", include("tenancy.urls")),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    # Server-Sent Events (portal.sse: who may read; portal.eventstream: the stream library); channels come from ?tenant=.
    path("api/portal/stream", stream, name="portal-stream"),
    path("", include("portal.urls")),
]
