"""Getting a token, using it, and every way of not having a valid one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.utils import timezone

from care365.accounts.models import ApiToken
from care365.accounts.tests.api_client import Api, operations
from care365.accounts.tests.factories import UserFactory
from conftest import Personas

pytestmark = pytest.mark.django_db


def test_a_token_from_username_and_password_opens_the_api(api: Api, personas: Personas) -> None:
    response = api.post("/auth/token", body={"username": "director", "password": personas.password})

    assert response.status_code == 200
    token = response.json()["token"]
    children = api.get("/children", headers={"Authorization": f"Bearer {token}"})
    assert children.status_code == 200
    assert [row["id"] for row in children.json()["items"]] == [personas.child_a.pk]
    assert ApiToken.objects.get(user=personas.director_a).key_hash != token  # only a hash is kept


def test_a_wrong_password_gets_no_token(api: Api, personas: Personas) -> None:
    response = api.post("/auth/token", body={"username": "director", "password": "wrong"})

    assert response.status_code == 401
    assert response.json() == {"detail": "The username or password is not right.", "errors": {}}
    assert not ApiToken.objects.exists()


def test_the_demo_password_works_only_in_demo_mode(api: Api, settings: Any, db: None) -> None:
    area_user = UserFactory.create(username="clerk", role="", password=make_password("demo"))
    body = {"username": area_user.username, "password": "demo"}

    settings.DEMO = False
    assert api.post("/auth/token", body=body).status_code == 401
    settings.DEMO = True
    assert api.post("/auth/token", body=body).status_code == 200


def test_a_disabled_user_gets_no_token_and_their_tokens_stop_working(
    api: Api, personas: Personas
) -> None:
    user = personas.director_a
    token = api.token(user)
    user.is_active = False
    user.save()

    body = {"username": user.username, "password": personas.password}
    assert api.post("/auth/token", body=body).status_code == 401
    response = api.get("/children", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_an_expired_token_is_refused(api: Api, personas: Personas) -> None:
    token = api.token(personas.admin)
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = api.get("/children", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


# Operations without a token: this one, and the SMS gateway's signed webhook and the health check
# (test_protection.py).
PUBLIC = {"auth_token_create", "sms_inbound", "health_check"}


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer nonsense", "Basic YWRtaW46ZGVtbw==", "Bearer " + "x" * 500],
)
def test_every_operation_needs_a_valid_token(
    api: Api, personas: Personas, openapi: dict[str, Any], authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    for op, (method, path) in operations(openapi).items():
        if op in PUBLIC:
            continue
        url = path.replace("{child_id}", str(personas.child_a.pk)).replace("{carer_id}", "1")
        response = api.call(method, url, headers=headers, body={} if method != "GET" else None)
        assert response.status_code == 401, op
        assert response.json() == {
            "detail": "Sign in first: send a valid bearer token.",
            "errors": {},
        }, op


def test_the_signed_in_browser_may_read_and_must_pass_csrf_to_write(personas: Personas) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(personas.director_a)

    listed = browser.get("/api/v1/children")
    assert listed.status_code == 200
    assert listed.json()["count"] == 1

    url = f"/api/v1/children/{personas.child_a.pk}"
    refused = browser.patch(url, data={"school": "x"}, content_type="application/json")
    assert refused.status_code == 403
    assert set(refused.json()) == {"detail", "errors"}

    browser.get("/api/v1/docs")  # sets the CSRF cookie, as the interactive docs do
    token = browser.cookies["csrftoken"].value
    allowed = browser.patch(
        url,
        data={"school": "城关小学"},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert allowed.status_code == 200, allowed.content


def test_a_user_without_a_role_sees_nothing(api: Api, personas: Personas) -> None:
    assert personas.outsider.role == ""
    for path in ("/children", "/carers", "/areas"):
        response = api.get(path, user=personas.outsider)
        data = response.json()
        assert (data["items"], data["count"]) == ([], 0), path
