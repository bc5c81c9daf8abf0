"""What an app process does once Django is set up, before it serves its first request."""

from __future__ import annotations

from importlib import import_module

from django.conf import settings


def warm_up() -> None:
    """Load the URLs (the API and its schemas with them) now rather than on the first request."""
    import_module(settings.ROOT_URLCONF)
