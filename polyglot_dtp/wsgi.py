"""WSGI entry, for tools that want one; the portal itself is served over ASGI."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "polyglot_dtp.settings")
application = get_wsgi_application()
