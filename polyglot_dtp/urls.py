from django.contrib import admin
from django.urls import include, path, re_path

from polyglot_dtp import probes
from portal.sse import stream
from registry.api import handlers as api_errors
from tenancy.views import LoginView

urlpatterns = [
    path("healthz", probes.healthz, name="healthz"),
    path("readyz", probes.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/", include("registry.api.urls")),
    path("api/", include("tenancy.urls")),
    path("api/", include("alarms.api.urls")),
    path("api/", include("alarms.webhooks.urls")),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    # Server-Sent Events (portal.sse: who may read; portal.eventstream: the stream library); channels come from ?tenant=.
    path("api/portal/stream", stream, name="portal-stream"),
    path("", include("portal.urls")),
    # The last route: any other /api/ path is a JSON 404 (registry.api.handlers).
    re_path(r"^api/(?P<rest>.*)$", api_errors.unknown_api_path, name="api-unknown"),
]

# Under /api/, Django's own error answers are the API's JSON too; elsewhere Django's pages.
handler400 = "registry.api.handlers.bad_request"
handler403 = "registry.api.handlers.permission_denied"
handler404 = "registry.api.handlers.page_not_found"
handler500 = "registry.api.handlers.server_error"
