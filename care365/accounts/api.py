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
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import P, PathEx, Query, Router, Status
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer

from care365.accounts import selectors, services, throttle, totp
from care365.accounts.access import (
    api_token_get_for_user,
    carers_for_user,
    child_get_for_user,
    managed_areas,
    managed_users_for_user,
    may_manage_users,
    organisations_for_user,
    reads_access_log,
    user_get_for_user,
)
from care365.accounts.models import AccessPurpose, ApiToken, User
from care365.accounts.schemas import (
    AccessGrantIn,
    AccessGrantOut,
    AccessLogListOut,
    AccessLogQuery,
    ApiTokenOut,
    ManagedUserListOut,
    ManagedUserOut,
    TokenIn,
    TokenOut,
    UserCreatedOut,
    UserCreateIn,
    UserFieldsIn,
)
from care365.accounts.selectors import access_log_for_child
from care365.accounts.services import access_grant_open
from care365.core.api import ErrorOut, responses, route
from care365.core.schemas import MAX_ID, Page

TokenId = PathEx[int, P(ge=1, le=MAX_ID, description="The token's id (from the token list).")]
UserId = PathEx[int, P(ge=1, le=MAX_ID, description="The user's id.")]

router = Router(tags=["auth"])


class BearerAuth(HttpBearer):
    """`Authorization: Bearer <token>` with a token from `POST /api/v1/auth/token`."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        if not token or len(token) > 200:
            return None
        row = services.api_token_find(token)
        if row is None:
            return None
        request.api_token_id = row.pk  # type: ignore[attr-defined]  # for DELETE /auth/token
        return row.user


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
    return Status(200, {"token": services.api_token_create(user=user, label=payload.label)})


def _token_out(request: HttpRequest, token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.pk,
        "prefix": token.prefix,
        "label": token.label,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "expires_at": token.expires_at,
        "current": token.pk == getattr(request, "api_token_id", None),
        "user": {"id": token.user.pk, "username": token.user.get_username()},
    }


@router.get(
    "/tokens",
    response=responses(200, list[ApiTokenOut]),
    operation_id="auth_token_list",
    summary="Your API tokens",
)
def auth_token_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Your live tokens (not revoked, not expired), newest first: never the secret, only its
    first characters, label, and when it was made and last used."""
    user = account(request)
    return [_token_out(request, t) for t in selectors.api_tokens_of(user).select_related("user")]


@router.delete(
    "/token",
    auth=[BearerAuth()],
    response=responses(204, None),
    operation_id="auth_token_revoke_current",
    summary="Revoke the token of this request (sign out)",
)
def auth_token_revoke_current(request: HttpRequest) -> Status[None]:
    """Revoke the token this request is made with: it answers 401 from now on."""
    user = account(request)
    token = api_token_get_for_user(user, int(getattr(request, "api_token_id", 0)))
    services.api_token_revoke(actor=user, token=token)
    return Status(204, None)


@router.delete(
    "/tokens/{token_id}",
    response=responses(204, None),
    operation_id="auth_token_revoke",
    summary="Revoke a token",
)
def auth_token_revoke(request: HttpRequest, token_id: TokenId) -> Status[None]:
    """Revoke one of your tokens or, as a county administrator, a token of a user of your
    county. Anybody else's answers 404, like a token that does not exist."""
    user = account(request)
    services.api_token_revoke(actor=user, token=api_token_get_for_user(user, token_id))
    return Status(204, None)


def _managed_user(request: HttpRequest, user_id: int) -> tuple[User, User]:
    actor = account(request)
    if not may_manage_users(actor):
        raise PermissionDenied
    return actor, user_get_for_user(actor, user_id)


users_router = Router(tags=["auth"])


@users_router.get(
    "/{user_id}/tokens",
    response=responses(200, list[ApiTokenOut]),
    operation_id="user_token_list",
    summary="A user's API tokens (county administrators)",
)
def user_token_list(request: HttpRequest, user_id: UserId) -> list[dict[str, Any]]:
    """The live tokens of a user of your county. Only county administrators (403 for anyone
    else); a user of another county answers 404."""
    _actor, user = _managed_user(request, user_id)
    return [_token_out(request, t) for t in selectors.api_tokens_of(user).select_related("user")]


@users_router.delete(
    "/{user_id}/tokens",
    response=responses(204, None),
    operation_id="user_tokens_revoke",
    summary="Revoke all of a user's API tokens (county administrators)",
)
def user_tokens_revoke(request: HttpRequest, user_id: UserId) -> Status[None]:
    """Revoke every token of a user of your county (a lost phone, a leaked script)."""
    actor, user = _managed_user(request, user_id)
    services.api_tokens_revoke_all(actor=actor, user=user, why=ApiToken.Revoked.ADMIN)
    return Status(204, None)


def _user_values(actor: User, values: dict[str, Any]) -> dict[str, Any]:
    """Ids become the records the actor may name: an area of their county, a carer of it (a
    missing one and another county's are refused alike, beside their field)."""
    if values.get("area") is not None:
        values["area"] = managed_areas(actor).filter(pk=values["area"]).first()
        if values["area"] is None:
            raise ValidationError({"area": _("Choose an area of your county.")})
    if values.get("carer") is not None:
        values["carer"] = carers_for_user(actor).filter(pk=values["carer"]).first()
        if values["carer"] is None:
            raise ValidationError({"carer": _("Choose a carer of your county.")})
    if values.get("organisation") is not None:
        values["organisation"] = (
            organisations_for_user(actor).filter(pk=values["organisation"]).first()
        )
        if values["organisation"] is None:
            raise ValidationError({"organisation": _("Choose an organisation of your county.")})
    return values


def _managed_user_out(user: User) -> dict[str, Any]:
    return {
        "id": user.pk,
        "username": user.username,
        "role": user.role,
        "area": user.area,
        "carer": user.carer,
        "organisation": user.organisation,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": user.is_active,
    }


@users_router.get(
    "",
    response=responses(200, ManagedUserListOut),
    operation_id="user_list",
    summary="The county's users (county administrators)",
)
def user_list(request: HttpRequest, filters: Query[Page]) -> dict[str, Any]:
    """Everyone who works in your county, deactivated users included (403 for anyone but a
    county administrator)."""
    actor = account(request)
    if not may_manage_users(actor):
        raise PermissionDenied
    users = (
        managed_users_for_user(actor).select_related("area", "carer", "organisation").order_by("pk")
    )
    page = users[filters.offset : filters.offset + filters.limit]
    return {"items": [_managed_user_out(u) for u in page], "count": users.count()}


@users_router.post(
    "",
    response=responses(201, UserCreatedOut),
    operation_id="user_create",
    summary="Add a user (county administrators)",
)
def user_create(request: HttpRequest, payload: UserCreateIn) -> Status[dict[str, Any]]:
    """A user of your county with a role and its scope (User's rule: an area of the role's
    level, or a carer record of the same role). The answer carries the one-time link at which
    they set their password; it is not kept anywhere."""
    actor = account(request)
    if not may_manage_users(actor):
        raise PermissionDenied
    values = _user_values(actor, payload.model_dump(exclude={"username"}))
    user = services.user_create(actor=actor, username=payload.username, values=values)
    link = request.build_absolute_uri(services.user_invite_link(actor=actor, user=user))
    return Status(201, {**_managed_user_out(user), "password_link": link})


@users_router.patch(
    "/{user_id}",
    response=responses(200, ManagedUserOut),
    operation_id="user_update",
    summary="Change a user's role, area or carer (county administrators)",
)
def user_update(request: HttpRequest, user_id: UserId, payload: UserFieldsIn) -> dict[str, Any]:
    """Only the fields sent change; a user of another county answers 404."""
    actor, user = _managed_user(request, user_id)
    values = _user_values(actor, payload.model_dump(exclude_unset=True))
    return _managed_user_out(services.user_update(actor=actor, user=user, values=values))


@users_router.post(
    "/{user_id}/deactivate",
    response=responses(200, ManagedUserOut),
    operation_id="user_deactivate",
    summary="Deactivate a user (county administrators)",
)
def user_deactivate(request: HttpRequest, user_id: UserId) -> dict[str, Any]:
    """They can no longer sign in; their API tokens are revoked. Not your own account (422)."""
    actor, user = _managed_user(request, user_id)
    services.user_deactivate(actor=actor, user=user)
    return _managed_user_out(user)


# Who read a child's record: the access log, for county administrators.
access_log_router = Router(tags=["access log"])


@access_log_router.get(
    "",
    response=responses(200, AccessLogListOut),
    operation_id="access_log_list",
    summary="Who read a child's record",
)
def access_log_list(request: HttpRequest, filters: Query[AccessLogQuery]) -> dict[str, Any]:
    """Reads of one child's record, newest first. County administrators only (403 for others);
    a child outside your county answers 404. Looking is itself a logged read."""
    user = account(request)
    if not reads_access_log(user):
        raise PermissionDenied
    child = child_get_for_user(
        user, filters.child, AccessPurpose.VIEW, route=route("access_log_list")
    )
    entries = access_log_for_child(user, child)
    count = entries.count()
    return {"items": list(entries[filters.offset : filters.offset + filters.limit]), "count": count}


@access_log_router.post(
    "/emergency-access",
    response=responses(201, AccessGrantOut),
    operation_id="access_grant_create",
    summary="Open a child outside your scope in an emergency",
)
def access_grant_create(request: HttpRequest, payload: AccessGrantIn) -> Status[dict[str, Any]]:
    """Break-the-glass: a child of your county, found by the full ID number (sent in the body,
    never in a URL), opens to you for CARE365_BREAK_GLASS_MINUTES. The reason is written to the
    access log and every county administrator is told. Responders only (police officers,
    doctors, directors, supervisors, county administrators): anyone else is refused (403). An ID
    number of no child of your county answers 422. A refused or failed attempt is written to
    the child's access log all the same (outcome `refused`); the answer does not say whether
    the number is a child's."""
    user = account(request)
    grant = access_grant_open(user=user, id_number=payload.id_number, reason=payload.reason)
    return Status(201, {"child": grant.child_id, "expires_at": grant.expires_at})
