from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tenancy.tokens import create_token

from ._holders import holder


class Command(BaseCommand):
    help = "Create an API token for a user and print it (the last word of the output); it is shown only once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user")
        parser.add_argument("--read-only", action="store_true", help="the token may only read")
        parser.add_argument("--name", default="", help="a label to recognise the token by")

    def handle(self, *args: Any, **options: Any) -> None:
        user = holder(options["user"], is_group=False)["user"]
        token, raw = create_token(user, name=options["name"], read_only=options["read_only"])
        kind = "read-only token" if token.read_only else "token"
        self.stdout.write(f"Created a {kind} for {user.get_username()} (prefix {token.prefix}); "
                          f"store it now, it is not shown again: {raw}")
