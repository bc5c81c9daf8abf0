"""Authentication: Django's model backend, throttled, refusing the demo password outside demo
mode."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from care365.accounts import throttle


class Care365Backend(ModelBackend):
    """Every password check counts against the sign-in throttle (accounts/throttle.py), whoever
    asks: the sign-in page, the API's token endpoint or the admin's login. A locked username or
    address raises SignInThrottledError (a ValidationError, so forms show its message).

    The demo logins share the password "demo"; it opens nothing unless CARE365_DEMO is on."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None or password is None:
            return None
        with throttle.attempt(username=username, ip=throttle.client_ip(request)) as attempt:
            if password == settings.DEMO_PASSWORD and not settings.DEMO:
                return None
            user = super().authenticate(request, username=username, password=password, **kwargs)
            attempt.succeeded = user is not None
            return user
