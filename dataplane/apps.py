from django.apps import AppConfig


class DataplaneConfig(AppConfig):
    name = "dataplane"
    verbose_name = "Data plane"
    default_auto_field = "django.db.models.BigAutoField"
