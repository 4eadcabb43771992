import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registry.spec import twin_schema
from tenancy.models import Role
from tenancy.services import UnknownTenant, grant

from ._holders import holder


class Command(BaseCommand):
    help = "Give a user (or --group) a role on a tenant, or on one twin of it with --twin."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("holder", help="user name (or group name with --group)")
        parser.add_argument("tenant")
        parser.add_argument("role", choices=[r.value for r in Role])
        parser.add_argument("--twin", default="", help="limit the grant to this twin id")
        parser.add_argument("--group", action="store_true", help="HOLDER names a group")

    def handle(self, *args: Any, **options: Any) -> None:
        pattern = twin_schema()["properties"]["tenant"]["pattern"]
        if not re.match(pattern, options["tenant"]):
            raise CommandError(f"{options['tenant']!r} is not a tenant slug (lowercase letters, digits and '-')")
        try:
            obj = grant(options["tenant"], options["role"], twin_id=options["twin"],
                        **holder(options["holder"], options["group"]))
        except UnknownTenant as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"granted: {obj}")
