from django.urls import path

from alarms.api import params as _params  # noqa: F401  (registers <rowid:...>)

from . import api

urlpatterns = [
    path("webhooks", api.EndpointListView.as_view(), name="webhook-list"),
    path("webhooks/<rowid:endpoint_id>", api.EndpointDetailView.as_view(), name="webhook-detail"),
    path("webhooks/<rowid:endpoint_id>/deliveries", api.DeliveryListView.as_view(), name="webhook-deliveries"),
    path("webhooks/<rowid:endpoint_id>/deliveries/<rowid:delivery_id>/redeliver", api.RedeliverView.as_view(),
         name="webhook-redeliver"),
]
