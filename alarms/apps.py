from django.apps import AppConfig


class AlarmsConfig(AppConfig):
    name = "alarms"
    default_auto_field = "django.db.models.BigAutoField"
