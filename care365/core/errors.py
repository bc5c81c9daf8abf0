"""Errors every app may raise and every edge answers the same way."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.utils.translation import gettext as _


class NotFound(Http404):  # named for what the user sees: the page is not there
    """The record does not exist or the user may not reach it: the two answer the same 404, so
    a refusal never tells that a record exists. Every door (`<thing>_get_for_user`) raises it."""


class StateConflictError(Exception):
    """The record is no longer in a state this action applies to (someone else answered first,
    or it is closed). Its message, in the user's language, says the state it is in now; the API
    answers 409 with it."""


def too_large_message() -> str:
    """What a request over DATA_UPLOAD_MAX_MEMORY_SIZE is told (page or API: 413)."""
    megabytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
    return _("The request is too large: at most %(size)s MB can be sent at once.") % {
        "size": f"{megabytes:.1f}".removesuffix(".0")
    }
