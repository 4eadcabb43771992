from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenancy.tokens import revoke_tokens


class Command(BaseCommand):
    help = "Revoke API tokens: all of a user's, or the one whose prefix (or whole value) is given."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("target", help="a user name, or a token prefix / token")

    def handle(self, *args: Any, **options: Any) -> None:
        target = options["target"]
        users = get_user_model()
        user = users.objects.filter(**{users.USERNAME_FIELD: target}).first()
        count = revoke_tokens(user=user) if user is not None else revoke_tokens(prefix=target)
        if not count:
            raise CommandError(f"no user or token prefix matches {target!r}")
        self.stdout.write(f"revoked {count} token{'s' if count != 1 else ''}")
