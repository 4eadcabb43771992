from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenancy.services import revoke

from ._holders import holder


class Command(BaseCommand):
    help = "Remove a user's (or --group's) grants on a tenant; with --twin only the grant on that twin."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("holder", help="user name (or group name with --group)")
        parser.add_argument("tenant")
        parser.add_argument("--twin", default=None, help="only the grant on this twin id")
        parser.add_argument("--group", action="store_true", help="HOLDER names a group")

    def handle(self, *args: Any, **options: Any) -> None:
        count = revoke(options["tenant"], twin_id=options["twin"], **holder(options["holder"], options["group"]))
        if not count:
            raise CommandError(f"{options['holder']} holds no grant on {options['tenant']}"
                               + (f"/{options['twin']}" if options["twin"] else ""))
        self.stdout.write(f"revoked {count} grant{'s' if count != 1 else ''} of {options['holder']} "
                          f"on {options['tenant']}")
