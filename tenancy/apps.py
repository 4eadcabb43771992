from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "tenancy"
    verbose_name = "Tenants and grants"

    def ready(self) -> None:
        from . import backends  # noqa: F401  (connects the failed sign-in counter)
