"""What an app process does once Django is set up, before it serves its first request."""

from __future__ import annotations

import gc
from importlib import import_module

from django.conf import settings


def warm_and_freeze() -> None:
    """Load the URLs (the API and its schemas with them) now rather than on the first request,
    then take everything made so far out of the garbage collector's sight (`gc.freeze`).

    Those are some 130,000 long-lived objects (modules, models, schemas, translations) that a
    full collection would otherwise walk each time, pausing every request of the process for
    tens of milliseconds; frozen, they are never collected (they live as long as the process
    anyway) and a full collection walks only what requests made."""
    import_module(settings.ROOT_URLCONF)
    gc.collect()
    gc.freeze()
