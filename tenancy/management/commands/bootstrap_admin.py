from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from registry.scanner import ScanRootError, scan
from tenancy.services import bootstrap_admin


class Command(BaseCommand):
    help = ("On a first start, create the admin account with a random password, grant it the tenants of "
            "the twin specs under DTP_TWINS_ROOTS, and print how to log in. Does nothing once a superuser exists.")

    def handle(self, *args: Any, **options: Any) -> None:
        # Read the specs rather than the registry: on a first start nothing is registered yet.
        try:
            found = scan(settings.DTP_TWINS_ROOTS, max_bytes=settings.DTP_SPEC_MAX_BYTES)
        except ScanRootError:
            found = None
        tenants = {f.parsed.spec.tenant for f in found.files if f.parsed.ok} if found else set()
        created = bootstrap_admin(tenants)
        if created is None:
            return
        username, password = created
        url = f"http://localhost:{settings.DTP_PORT}/"
        self.stdout.write(
            f"Created the admin account. Log in at {url} as {username!r} with password: {password}\n"
            "It is shown only this once; change it with `manage.py changepassword admin`."
        )
