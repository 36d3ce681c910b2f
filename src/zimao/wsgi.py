"""WSGI entry point: ``gunicorn zimao.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zimao.settings")
application = get_wsgi_application()
