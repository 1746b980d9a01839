"""ASGI entry point. Defaults to production settings: a server must opt out."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citizen_portal.settings.production")

application = get_asgi_application()
