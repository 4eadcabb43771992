from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        # Wiring only: committed events go to the stream publisher, and every revocation (admin, CLI, API)
        # cuts this process's open streams that depended on it.
        from registry import events
        from tenancy.services import on_revoke

        from . import eventstream, revocations

        events.on_commit(eventstream.publish)
        on_revoke(revocations.cut_streams)
