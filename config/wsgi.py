"""WSGI entry point, for servers that speak WSGI only."""

import os

from django.core.wsgi import get_wsgi_application

from config.startup import warm_up

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
warm_up()
