"""Authentication: Django's model backend, refusing the demo password outside demo mode."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest


class Care365Backend(ModelBackend):
    """The demo logins share the password "demo"; it opens nothing unless CARE365_DEMO is on."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if password == settings.DEMO_PASSWORD and not settings.DEMO:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
