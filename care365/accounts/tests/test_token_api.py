"""Listing and revoking API tokens, and the events that revoke them all (issue 12, finding 8).

A revoked token answers 401 in the API's error shape from the very next request."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from django.test import Client
from django.utils import timezone

from care365.accounts import totp
from care365.accounts.models import ApiToken, TotpDevice, User
from care365.accounts.services import api_token_create
from care365.accounts.tests.api_client import Api
from care365.core.models import AuditEvent
from conftest import Personas

pytestmark = pytest.mark.django_db


def _as(api: Api, token: str, method: str, path: str, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    return api.call(method, path, headers=headers, **kwargs)


def _works(api: Api, token: str) -> bool:
    response = _as(api, token, "GET", "/auth/tokens")
    if response.status_code == 401:
        assert response.json() == {
            "detail": "Sign in first: send a valid bearer token.",
            "errors": {},
        }
        return False
    assert response.status_code == 200, response.content
    return True


def test_the_list_shows_ones_own_tokens_and_never_a_secret(api: Api, personas: Personas) -> None:
    user = personas.director_a
    first = api_token_create(user=user, label="county report script")
    second = api_token_create(user=user)
    api_token_create(user=personas.director_b)

    response = _as(api, second, "GET", "/auth/tokens")

    assert response.status_code == 200
    rows = response.json()
    assert [row["prefix"] for row in rows] == [second[:6], first[:6]]
    assert rows[1]["label"] == "county report script"
    assert [row["current"] for row in rows] == [True, False]
    assert set(rows[0]) == {
        "id", "prefix", "label", "created_at", "last_used_at", "expires_at", "current", "user"
    }  # fmt: skip
    body = response.content.decode()
    for secret in (first, second, *ApiToken.objects.values_list("key_hash", flat=True)):
        assert secret not in body


def test_delete_token_revokes_the_token_of_the_request_at_once(
    api: Api, personas: Personas
) -> None:
    user = personas.director_a
    used, other = api_token_create(user=user), api_token_create(user=user)

    response = _as(api, used, "DELETE", "/auth/token")

    assert response.status_code == 204
    assert not _works(api, used)
    assert _works(api, other)  # only the token of the request
    row = ApiToken.objects.get(prefix=used[:6])
    assert row.revoked_by == user and row.revoked_why == "user"
    assert AuditEvent.objects.filter(
        action="api_token_revoke", object_id=row.pk, actor=user
    ).exists()


def test_a_user_revokes_one_of_their_tokens_but_not_anybody_elses(
    api: Api, personas: Personas
) -> None:
    mine, spare = (
        api_token_create(user=personas.director_a),
        api_token_create(user=personas.director_a),
    )
    theirs = api_token_create(user=personas.director_b)
    spare_id = ApiToken.objects.get(prefix=spare[:6]).pk
    theirs_id = ApiToken.objects.get(prefix=theirs[:6]).pk

    assert _as(api, mine, "DELETE", f"/auth/tokens/{theirs_id}").status_code == 404
    assert _as(api, mine, "DELETE", "/auth/tokens/987654").status_code == 404
    assert _works(api, theirs)
    assert _as(api, mine, "DELETE", f"/auth/tokens/{spare_id}").status_code == 204
    assert not _works(api, spare)
    assert _works(api, mine)


def test_a_county_administrator_revokes_tokens_of_the_county_only(
    api: Api, personas: Personas
) -> None:
    director = api_token_create(user=personas.director_a)
    director_id = ApiToken.objects.get(prefix=director[:6]).pk
    officer = api_token_create(user=personas.officer)

    # Another county's administrator sees nothing of ours, and revokes nothing.
    other = api.call("GET", f"/users/{personas.director_a.pk}/tokens", user=personas.other_admin)
    assert other.status_code == 404
    assert (
        api.call("DELETE", f"/auth/tokens/{director_id}", user=personas.other_admin).status_code
        == 404
    )
    # A director is no administrator.
    assert (
        api.call("GET", f"/users/{personas.officer.pk}/tokens", user=personas.director_b)
    ).status_code == 403
    assert _works(api, director)

    listed = api.call("GET", f"/users/{personas.director_a.pk}/tokens", user=personas.admin)
    assert [row["id"] for row in listed.json()] == [director_id]
    assert api.call("DELETE", f"/auth/tokens/{director_id}", user=personas.admin).status_code == 204
    assert not _works(api, director)
    assert ApiToken.objects.get(pk=director_id).revoked_why == "admin"

    assert (
        api.call("DELETE", f"/users/{personas.officer.pk}/tokens", user=personas.admin)
    ).status_code == 204
    assert not _works(api, officer)
    assert AuditEvent.objects.filter(
        action="api_tokens_revoke", object_id=personas.officer.pk, actor=personas.admin
    ).exists()


def test_signing_out_revokes_every_token(api: Api, client: Client, personas: Personas) -> None:
    user = personas.director_a
    tokens = [api_token_create(user=user), api_token_create(user=user)]
    client.force_login(user)

    assert client.post("/logout/").status_code == 302

    assert not any(_works(api, t) for t in tokens)
    assert set(ApiToken.objects.values_list("revoked_why", flat=True)) == {"sign_out"}


def test_a_password_change_by_any_route_revokes_every_token(api: Api, personas: Personas) -> None:
    user = personas.director_a
    token = api_token_create(user=user)
    assert _works(api, token)

    user.set_password("a brand new passphrase")  # as the admin or `changepassword` do
    user.save()

    assert not _works(api, token)
    assert ApiToken.objects.get().revoked_why == "password"
    assert AuditEvent.objects.filter(action="api_tokens_revoke", object_id=user.pk).exists()


def _code(user: User) -> str:
    device = totp.pending_device(user) or totp.confirmed_device(user)
    assert device is not None
    return pyotp.TOTP(device.secret).at(timezone.now())


def test_turning_two_step_sign_in_on_and_off_revokes_every_token(
    api: Api, personas: Personas
) -> None:
    user = personas.volunteer
    before = api_token_create(user=user)
    totp.device_start(user=user)
    totp.device_confirm(user=user, code=_code(user), ip="10.0.0.1")
    assert not _works(api, before)

    during = api_token_create(user=user)
    TotpDevice.objects.filter(user=user).update(last_step=0)  # the same code again
    totp.device_remove(user=user, code=_code(user), ip="10.0.0.1")
    assert not _works(api, during)
    assert set(ApiToken.objects.values_list("revoked_why", flat=True)) == {"two_step"}


def test_a_lock_out_revokes_every_token(api: Api, personas: Personas, settings: Any) -> None:
    user = personas.director_a
    token = api_token_create(user=user)
    body = {"username": user.username, "password": "wrong"}

    for _n in range(settings.LOGIN_FAILURES - 1):
        assert api.post("/auth/token", body=body).status_code == 401
    assert _works(api, token)  # failures short of a lock-out leave it alone
    assert api.post("/auth/token", body=body).status_code == 401  # this one locks

    assert api.post("/auth/token", body=body).status_code == 429
    assert not _works(api, token)
    assert ApiToken.objects.get().revoked_why == "lockout"
