from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenancy.services import create_tenant


class Command(BaseCommand):
    help = ("Create a tenant that no twin.yaml declares yet, so the API may register twins in it. "
            "Tenants are otherwise created by the twin files that name them; the API never creates one.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="lowercase letters, digits and '-'")
        parser.add_argument("--name", default="", help="a display name")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            tenant = create_tenant(options["slug"], name=options["name"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"created tenant {tenant.slug!r}; grant access with "
                          f"`manage.py grant USER {tenant.slug} viewer|operator|admin`")
