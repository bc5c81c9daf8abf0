"""Who is calling: bearer tokens (`POST /auth/token`), or the browser's session for the docs.

A token is issued for a username and password checked by Django's `authenticate`, so the demo
logins' shared password works only while demo mode is on, as on the sign-in page.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer

from care365.accounts.models import User
from care365.accounts.services import api_token_create, api_token_user

from .errors import responses
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


@router.post(
    "/token",
    auth=None,
    response=responses(200, TokenOut),
    operation_id="auth_token_create",
    summary="Get a bearer token",
)
def auth_token_create(request: HttpRequest, payload: TokenIn) -> dict[str, str]:
    """Exchange a username and password for a bearer token (valid for CARE365_API_TOKEN_HOURS)."""
    user = authenticate(request, username=payload.username, password=payload.password)
    if not isinstance(user, User) or not user.is_active:
        raise AuthenticationError(message=_("The username or password is not right."))
    return {"token": api_token_create(user=user)}
