"""Who is calling: bearer tokens (`POST /auth/token`), or the browser's session for the docs.

A token is issued for a username and password checked by Django's `authenticate`, so the demo
logins' shared password works only while demo mode is on, as on the sign-in page, and the same
sign-in throttle counts every attempt (429 while locked). An account with two-step sign-in also
sends the code from its authenticator app (or a recovery code).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer

from care365.accounts import throttle, totp
from care365.accounts.models import User
from care365.accounts.services import api_token_create, api_token_user

from .errors import ErrorOut, responses
from .schemas import TokenIn, TokenOut

router = Router(tags=["auth"])


class BearerAuth(HttpBearer):
    """`Authorization: Bearer <token>` with a token from `POST /api/v1/auth/token`."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        if not token or len(token) > 200:
            return None
        return api_token_user(token)


class SessionAuth(APIKeyCookie):
    """The signed-in browser's session (the interactive docs), with Django's CSRF check on
    writes. Without a session cookie it steps aside, so a request with no credentials at all
    answers 401 rather than a CSRF failure."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if key is None or not request.user.is_authenticated:
            return None
        return request.user


def account(request: HttpRequest) -> User:
    """The authenticated user of an API request."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User) or not user.is_active:
        raise AuthenticationError
    return user


def _second_step(user: User, code: str, ip: str) -> None:
    """The code an account with two-step sign-in must send as well (raises 401)."""
    if totp.confirmed_device(user) is None:
        if totp.required_for(user):
            raise AuthenticationError(
                message=_("Set up two-step sign-in on the sign-in page first.")
            )
        return
    if not code:
        raise AuthenticationError(
            message=_("This account signs in with a code: send it as `code`.")
        )
    if totp.verify(user=user, code=code, ip=ip) is None:
        raise AuthenticationError(message=_("This code is not right."))


@router.post(
    "/token",
    auth=None,
    response={**responses(200, TokenOut), 429: ErrorOut},
    operation_id="auth_token_create",
    summary="Get a bearer token",
)
def auth_token_create(
    request: HttpRequest, payload: TokenIn, response: HttpResponse
) -> Status[dict[str, Any]]:
    """Exchange a username and password (and, with two-step sign-in, a code) for a bearer token
    (valid for CARE365_API_TOKEN_HOURS). Too many failures for one username or from one address
    answer 429 with `Retry-After` until the lock ends."""
    try:
        user = authenticate(request, username=payload.username, password=payload.password)
        if not isinstance(user, User) or not user.is_active:
            raise AuthenticationError(message=_("The username or password is not right."))
        _second_step(user, payload.code, throttle.client_ip(request))
    except throttle.SignInThrottledError as exc:
        response["Retry-After"] = str(exc.seconds)
        return Status(429, {"detail": exc.messages[0], "errors": {}})
    throttle.forget(username=user.get_username())
    return Status(200, {"token": api_token_create(user=user)})
