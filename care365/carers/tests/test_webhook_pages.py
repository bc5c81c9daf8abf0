"""The county administrator's pages and API for an organisation's webhook endpoints and the
county's deliveries: the secret shown once and kept encrypted, rotate and deactivate, the
deliveries by state, another county's administrator not finding any of it (404), other roles
refused (403), a bad address refused in both languages (docs/network.md, "Webhooks")."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from care365.accounts.tests.api_client import Api
from care365.carers.models import Organisation
from care365.carers.tests.factories import OrganisationFactory
from care365.core.models import AuditEvent
from care365.protection import services
from care365.protection.models import Notification, WebhookEndpoint
from conftest import Personas

pytestmark = pytest.mark.django_db

URL = "https://sunshine.example/care365"


def agency(p: Personas, *, county: str = "own") -> Organisation:
    area = p.county if county == "own" else p.other_county
    return OrganisationFactory.create(
        kind=Organisation.Kind.SOCIAL_WORK, area=area, services=["counselling"]
    )


def delivery(endpoint: WebhookEndpoint, state: str, key: str) -> Notification:
    now = timezone.now()
    return Notification.objects.create(
        kind="referral",
        level=0,
        channel="webhook",
        webhook=endpoint,
        idempotency_key=key,
        state=state,
        attempts=1 if state != "pending" else 0,
        created_at=now,
        next_attempt_at=now if state == "pending" else None,
        last_error="endpoint answered 410" if state == "failed" else "",
        payload={"event": "referral.created", "created": now.isoformat(), "data": {"referral": 9}},
    )


def raw(endpoint: WebhookEndpoint) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM protection_webhookendpoint WHERE id = %s", [endpoint.pk])
        return str(cursor.fetchone()[0])


def test_the_admin_adds_an_endpoint_and_sees_its_secret_once(
    client: Client, personas: Personas
) -> None:
    org = agency(personas)
    client.force_login(personas.admin)
    page_url = reverse("carers:organisation-webhooks", args=[org.pk])
    assert client.get(page_url, HTTP_ACCEPT_LANGUAGE="en").status_code == 200

    added = client.post(page_url, {"url": URL}, HTTP_ACCEPT_LANGUAGE="en")

    assert added.status_code == 200
    endpoint = WebhookEndpoint.objects.get(organisation=org)
    assert endpoint.url == URL and endpoint.active
    secret = endpoint.secret
    assert secret.startswith("whsec_") and len(secret) > 40
    assert secret in added.content.decode()
    assert "no-store" in added["Cache-Control"]
    # Encrypted at rest; shown only on the answer that made it.
    assert secret not in raw(endpoint)
    again = client.get(page_url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert URL in again and secret not in again
    assert AuditEvent.objects.filter(
        action="webhook_endpoint_create", object_id=endpoint.pk, actor_id=personas.admin.pk
    ).exists()
    # The list of organisations links to it.
    listing = client.get(reverse("carers:organisation-list")).content.decode()
    assert page_url in listing
    edit = client.get(reverse("carers:organisation-edit", args=[org.pk])).content.decode()
    assert page_url in edit


def test_the_admin_rotates_then_deactivates(client: Client, personas: Personas) -> None:
    org = agency(personas)
    endpoint, first = services.webhook_endpoint_create(
        actor=personas.admin, organisation=org, url=URL
    )
    client.force_login(personas.admin)

    rotated = client.post(reverse("carers:webhook-rotate", args=[endpoint.pk]))

    endpoint.refresh_from_db()
    assert rotated.status_code == 200 and endpoint.secret != first
    assert endpoint.secret in rotated.content.decode() and first not in rotated.content.decode()
    assert endpoint.secret_rotated_at is not None

    gone = client.post(reverse("carers:webhook-deactivate", args=[endpoint.pk]))
    assert gone.status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.active
    # A deactivated endpoint keeps its secret: rotating it is refused with a message.
    refused = client.post(reverse("carers:webhook-rotate", args=[endpoint.pk]), follow=True)
    assert refused.status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.secret not in refused.content.decode()
    actions = set(AuditEvent.objects.filter(object_id=endpoint.pk).values_list("action", flat=True))
    assert {"webhook_endpoint_rotate", "webhook_endpoint_deactivate"} <= actions


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "Enter an address that starts with https:// (or http://)."),
        ("zh-hans", "请输入以 https://（或 http://）开头的地址。"),
    ],
)
def test_a_bad_address_is_refused_in_both_languages(
    client: Client, api: Api, personas: Personas, language: str, words: str
) -> None:
    org = agency(personas)
    client.force_login(personas.admin)
    page = client.post(
        reverse("carers:organisation-webhooks", args=[org.pk]),
        {"url": "ftp://sunshine.example/x"},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert page.status_code == 400
    assert words in page.content.decode()

    answer = api.post(
        f"/organisations/{org.pk}/webhooks",
        user=personas.admin,
        body={"url": "ftp://sunshine.example/x"},
        language=language,
    )
    assert answer.status_code == 422
    assert answer.json()["errors"]["url"] == [words]
    assert not WebhookEndpoint.objects.exists()


def test_the_deliveries_are_listed_by_state_for_the_county_only(
    client: Client, personas: Personas
) -> None:
    org = agency(personas)
    endpoint, _secret = services.webhook_endpoint_create(
        actor=personas.admin, organisation=org, url=URL
    )
    delivery(endpoint, "sent", "own-sent")
    delivery(endpoint, "failed", "own-failed")
    far = agency(personas, county="other")
    far_endpoint, _far_secret = services.webhook_endpoint_create(
        actor=personas.other_admin, organisation=far, url=URL + "/far"
    )
    delivery(far_endpoint, "failed", "far-failed")
    client.force_login(personas.admin)
    url = reverse("carers:webhook-deliveries")

    every = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    failed = client.get(url, {"state": "failed"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "own-sent" in every and "own-failed" in every and "far-failed" not in every
    assert "own-failed" in failed and "own-sent" not in failed
    assert "The endpoint answered HTTP 410." in failed
    client.force_login(personas.other_admin)
    theirs = client.get(url).content.decode()
    assert "far-failed" in theirs and "own-" not in theirs


def test_another_countys_admin_finds_nothing_and_other_roles_are_refused(
    client: Client, api: Api, personas: Personas
) -> None:
    org = agency(personas)
    endpoint, secret = services.webhook_endpoint_create(
        actor=personas.admin, organisation=org, url=URL
    )
    pages = [
        ("get", reverse("carers:organisation-webhooks", args=[org.pk])),
        ("post", reverse("carers:webhook-rotate", args=[endpoint.pk])),
        ("post", reverse("carers:webhook-deactivate", args=[endpoint.pk])),
    ]
    client.force_login(personas.other_admin)
    for method, url in pages:
        assert getattr(client, method)(url).status_code == 404, url
    for who in ("supervisor_a", "director_a", "officer", "volunteer", "outsider"):
        client.force_login(getattr(personas, who))
        for method, url in pages:
            assert getattr(client, method)(url).status_code == 403, (who, url)
        assert client.get(reverse("carers:webhook-deliveries")).status_code == 403

    ops = [
        ("GET", f"/organisations/{org.pk}/webhooks"),
        ("POST", f"/organisations/webhooks/{endpoint.pk}/rotate"),
        ("POST", f"/organisations/webhooks/{endpoint.pk}/deactivate"),
    ]
    for method, path in ops:
        assert api.call(method, path, user=personas.other_admin).status_code == 404, path
        assert api.call(method, path, user=personas.director_a).status_code == 403, path
    assert (
        api.get("/organisations/webhooks/deliveries", user=personas.director_a).status_code == 403
    )
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.secret == secret


def test_the_api_adds_lists_rotates_deactivates_and_lists_deliveries(
    api: Api, personas: Personas
) -> None:
    org = agency(personas)
    made = api.post(f"/organisations/{org.pk}/webhooks", user=personas.admin, body={"url": URL})
    assert made.status_code == 201, made.content
    data: dict[str, Any] = made.json()
    endpoint = WebhookEndpoint.objects.get(pk=data["id"])
    assert data["secret"] == endpoint.secret and data["organisation"] == org.pk

    listed = api.get(f"/organisations/{org.pk}/webhooks", user=personas.admin).json()
    assert [e["id"] for e in listed["items"]] == [endpoint.pk]
    assert "secret" not in listed["items"][0]

    rotated = api.post(f"/organisations/webhooks/{endpoint.pk}/rotate", user=personas.admin)
    assert rotated.status_code == 200 and rotated.json()["secret"] not in ("", data["secret"])
    off = api.post(f"/organisations/webhooks/{endpoint.pk}/deactivate", user=personas.admin)
    assert off.status_code == 200 and off.json()["active"] is False
    again = api.post(f"/organisations/webhooks/{endpoint.pk}/rotate", user=personas.admin)
    assert again.status_code == 409

    delivery(endpoint, "failed", "api-failed")
    delivery(endpoint, "sent", "api-sent")
    failed = api.get(
        "/organisations/webhooks/deliveries", user=personas.admin, query={"state": "failed"}
    ).json()
    assert [d["idempotency_key"] for d in failed["items"]] == ["api-failed"]
    item = failed["items"][0]
    assert (item["endpoint"], item["organisation"], item["event"], item["referral"]) == (
        endpoint.pk,
        org.pk,
        "referral.created",
        9,
    )
    assert item["last_error"] == "endpoint answered 410" and failed["count"] == 1
    bad = api.get("/organisations/webhooks/deliveries", user=personas.admin, query={"state": "x"})
    assert bad.status_code == 422


def test_an_organisations_contact_email_is_checked_and_kept_encrypted(
    api: Api, personas: Personas
) -> None:
    org = agency(personas)
    bad = api.patch(
        f"/organisations/{org.pk}", user=personas.admin, body={"contact_email": "not-an-email"}
    )
    assert bad.status_code == 422
    assert bad.json()["errors"]["contact_email"] == ["Enter a valid email address."]
    good = api.patch(
        f"/organisations/{org.pk}",
        user=personas.admin,
        body={"contact_email": " intake@sunshine.example "},
    )
    assert good.status_code == 200 and good.json()["contact_email"] == "intake@sunshine.example"
    with connection.cursor() as cursor:
        cursor.execute("SELECT contact_email FROM carers_organisation WHERE id = %s", [org.pk])
        assert "sunshine" not in str(cursor.fetchone()[0])
