"""WSGI entry point for gunicorn. Defaults to production settings: a server must opt out."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citizen_portal.settings.production")

application = get_wsgi_application()
