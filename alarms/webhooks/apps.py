from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "alarms.webhooks"
    label = "webhooks"
    verbose_name = "Alarm webhooks"
    default_auto_field = "django.db.models.BigAutoField"
