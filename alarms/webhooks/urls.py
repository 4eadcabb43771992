from django.urls import path, register_converter

from . import api


class RowId:
    """A numeric row id in a path: 1 to 18 digits, so it always fits a 64-bit column (else a JSON 404)."""

    regex = r"[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(RowId, "rowid")

urlpatterns = [
    path("webhooks", api.EndpointListView.as_view(), name="webhook-list"),
    path("webhooks/<rowid:endpoint_id>", api.EndpointDetailView.as_view(), name="webhook-detail"),
    path("webhooks/<rowid:endpoint_id>/deliveries", api.DeliveryListView.as_view(), name="webhook-deliveries"),
    path("webhooks/<rowid:endpoint_id>/deliveries/<rowid:delivery_id>/redeliver", api.RedeliverView.as_view(),
         name="webhook-redeliver"),
]
