import getpass
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenancy.services import UserExists, create_user


class Command(BaseCommand):
    stealth_options = ("stdin",)  # call_command(..., stdin=...) in tests, as createsuperuser does
    help = ("Create an ordinary (non-staff) user who signs in to the portal and the API; give them access "
            "with `manage.py grant`. The password is asked for, or read from standard input with --password-stdin.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--password-stdin", action="store_true",
                            help="read the password from the first line of standard input (for scripts)")

    def handle(self, *args: Any, **options: Any) -> None:
        password = self._password(options["password_stdin"], options.get("stdin") or sys.stdin)
        try:
            user = create_user(options["username"], password, email=options["email"])
        except UserExists as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError("the password was refused: " + " ".join(exc.messages)) from None
        self.stdout.write(f"created user {user.get_username()!r}; give them access with "
                          f"`manage.py grant {user.get_username()} TENANT viewer|operator|admin`")

    def _password(self, from_stdin: bool, stdin: Any) -> str:
        if from_stdin:
            line = stdin.readline().rstrip("\r\n")
            if not line:
                raise CommandError("--password-stdin read an empty password; send it as the first line")
            return line
        if not stdin.isatty():
            raise CommandError("no terminal to ask for the password; use --password-stdin")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("the two passwords differ; nothing was created")
        return first
