from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from . import models, series, views
from . import params as _params  # noqa: F401  (registers the <id:...> and <dtmi:...> converters)

urlpatterns = [
    path("registry/twins", views.TwinListView.as_view(), name="twin-list"),
    path("registry/twins/<id:twin_id>", views.TwinDetailView.as_view(), name="twin-detail"),
    path("registry/twins/<id:twin_id>/history", views.TwinHistoryView.as_view(), name="twin-history"),
    path("registry/twins/<id:twin_id>/series", series.TwinSeriesView.as_view(), name="twin-series"),
    path("registry/twins/<id:twin_id>/dtdl", models.TwinDtdlView.as_view(), name="twin-dtdl"),
    path("registry/models", models.ModelListView.as_view(), name="model-list"),
    path("registry/models/<dtmi:dtmi>", models.ModelDetailView.as_view(), name="model-detail"),
    path("registry/services", views.ServiceListView.as_view(), name="service-list"),
    path("registry/services/<id:service_id>", views.ServiceDetailView.as_view(), name="service-detail"),
    path("registry/spec-errors", views.SpecErrorsView.as_view(), name="spec-errors"),
    path("registry/schema/twin.json", views.TwinSchemaView.as_view(), name="twin-schema"),
    path("portal/events", views.PortalEventsView.as_view(), name="portal-events"),
    path("schema/", SpectacularAPIView.as_view(), name="openapi"),
    # The portal's template adds a way back to the portal above drf-spectacular's page.
    path("docs/", SpectacularSwaggerView.as_view(url_name="openapi", template_name="portal/api_docs.html"),
         name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="openapi"), name="api-redoc"),
]
