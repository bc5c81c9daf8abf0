"""An organisation is told of its referrals through the outbox: signed webhooks against a real HTTP
receiver on loopback (signature checked with an independent HMAC, headers, a body without the
child, retries with backoff and one idempotency key, final failure, a killed worker's lease taken
over), SMS and email queued in the referral's transaction (docs/network.md, "Webhooks")."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from care365.accounts.access import child_get_for_user
from care365.carers.models import Organisation
from care365.carers.tests.factories import OrganisationFactory
from care365.network import services as network_services
from care365.network.models import Referral
from care365.protection import channels
from care365.protection import services as outbox
from care365.protection.models import Notification, WebhookEndpoint
from conftest import Personas

pytestmark = pytest.mark.django_db

NState = Notification.State


@dataclass
class Receiver:
    """An organisation's system: records every request; answers from `script` (a status, or
    "sleep" to answer after the sender's timeout), then 200."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    script: list[int | str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # http.server's hook name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with receiver.lock:
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers.items()), "body": body}
                )
                step = receiver.script.pop(0) if receiver.script else 200
            if step == "sleep":
                time.sleep(1.0)
                step = 200
            self.send_response(int(step))
            self.send_header("Content-Length", "16")
            self.end_headers()
            self.wfile.write(b"receiver's words")

        def log_message(self, format: str, *args: Any) -> None:  # the base's name
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/care365/hook?org=7"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def t0() -> datetime:
    return timezone.now().replace(microsecond=0) + timedelta(days=1)


def agency(p: Personas, **kwargs: Any) -> Organisation:
    values: dict[str, Any] = {
        "kind": Organisation.Kind.SOCIAL_WORK,
        "name": "景宁县阳光社工服务中心",
        "area": p.county,
        "services": ["counselling"],
        "contact_name": "李社工",
        "contact_phone": "13905781234",
        "contact_email": "intake@sunshine.example",
    }
    values.update(kwargs)
    return OrganisationFactory.create(**values)


def endpoint_for(p: Personas, org: Organisation, url: str) -> tuple[WebhookEndpoint, str]:
    return outbox.webhook_endpoint_create(actor=p.admin, organisation=org, url=url)


def refer(p: Personas, org: Organisation, t0: datetime) -> Referral:
    child = child_get_for_user(p.director_a, p.child_a.pk, "view")
    return network_services.referral_create(
        actor=p.director_a,
        child=child,
        organisation_id=org.pk,
        service="counselling",
        reason="父母外出后孩子情绪低落",
        now=t0,
    )


def verify(request: dict[str, Any], secret: str) -> int:
    """What an organisation does (docs/network.md): split the header, recompute the HMAC of
    "<t>.<body>" with its own code, compare in constant time. Returns t."""
    header = request["headers"]["X-Care365-Signature"]
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(
        secret.encode(), parts["t"].encode() + b"." + request["body"], hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected)
    return int(parts["t"])


def test_a_referral_is_posted_signed_to_each_active_endpoint_and_names_no_child(
    personas: Personas, receiver: Receiver, t0: datetime
) -> None:
    org = agency(personas)
    endpoint, secret = endpoint_for(personas, org, receiver.url)
    retired, _old = endpoint_for(personas, org, receiver.url + "&old=1")
    outbox.webhook_endpoint_deactivate(actor=personas.admin, endpoint=retired)

    referral = refer(personas, org, t0)

    (row,) = Notification.objects.filter(channel="webhook")
    assert (row.kind, row.webhook_id, row.address, row.state) == (
        "referral",
        endpoint.pk,
        "",
        NState.PENDING,
    )
    before = int(time.time())
    assert outbox.outbox_send(now=t0).sent >= 1
    (request,) = receiver.requests
    assert request["path"] == "/care365/hook?org=7"
    headers = request["headers"]
    assert before <= verify(request, secret) <= int(time.time())
    assert (
        headers["Idempotency-Key"]
        == row.idempotency_key
        == f"referral-{referral.pk}-created-webhook-{endpoint.pk}"
    )
    assert headers["X-Care365-Event"] == "referral.created"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    # A wrong secret does not verify.
    with pytest.raises(AssertionError):
        verify(request, "whsec_not-the-secret")

    body = json.loads(request["body"])
    assert body["id"] == row.idempotency_key and body["type"] == "referral.created"
    assert list(body) == ["id", "type", "version", "created", "data"] and body["version"] == 1
    assert body["data"] == {
        "referral": referral.pk,
        "state": "sent",
        "service": "counselling",
        "organisation": org.pk,
        "due_on": referral.due_on.isoformat(),
        "url": f"/referrals/{referral.pk}/",
    }
    child = personas.child_a
    raw = request["body"].decode()
    facts = (
        child.name,
        child.id_number,
        child.address,
        "child",
        "情绪低落",
        personas.village_a.name,
    )
    for secret_fact in (f for f in facts if f):
        assert secret_fact not in raw, secret_fact
    row.refresh_from_db()
    assert (row.state, row.attempts, row.sent_at) == (NState.SENT, 1, t0)


def test_the_contact_gets_an_email_and_an_sms_naming_no_child(
    personas: Personas, t0: datetime, settings: Any
) -> None:
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/sms"  # configured (not reached here)
    org = agency(personas)
    referral = refer(personas, org, t0)

    rows = {r.channel: r for r in Notification.objects.filter(kind="referral")}
    assert set(rows) == {"sms", "email"}
    assert rows["sms"].address == "13905781234"
    assert rows["email"].address == "intake@sunshine.example"
    for row in rows.values():
        text = row.payload["text"]
        assert f"#{referral.pk}" in text and personas.child_a.name not in text
    # Without a gateway no SMS is queued (it could only fail); the email still is.
    settings.SMS_GATEWAY_URL = ""
    second = refer(personas, agency(personas, name="第二家"), t0)
    assert set(
        Notification.objects.filter(
            idempotency_key__startswith=f"referral-{second.pk}-"
        ).values_list("channel", flat=True)
    ) == {"email"}

    rows["sms"].delete()
    assert outbox.outbox_send(now=t0).sent == 2
    assert {m.to[0] for m in mail.outbox} == {"intake@sunshine.example"}
    assert all(personas.child_a.name not in m.body for m in mail.outbox)


def test_a_500_is_retried_with_backoff_and_the_same_key_and_body(
    personas: Personas, receiver: Receiver, t0: datetime
) -> None:
    org = agency(personas, contact_email="", contact_phone="")
    _endpoint, secret = endpoint_for(personas, org, receiver.url)
    refer(personas, org, t0)
    row = Notification.objects.get(channel="webhook")
    receiver.script = [500, 503]

    first = outbox.outbox_send(now=t0)
    row.refresh_from_db()
    assert first.retrying == 1 and row.state == NState.PENDING
    assert row.last_error == "endpoint answered 500"
    assert row.next_attempt_at == t0 + timedelta(seconds=2)
    assert not outbox.outbox_send(now=t0 + timedelta(seconds=1))  # not due yet
    outbox.outbox_send(now=t0 + timedelta(seconds=2))
    row.refresh_from_db()
    assert row.next_attempt_at == t0 + timedelta(seconds=2 + 4)
    assert outbox.outbox_send(now=t0 + timedelta(seconds=6)).sent == 1

    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == (NState.SENT, 3, "")
    assert len(receiver.requests) == 3
    assert {r["headers"]["Idempotency-Key"] for r in receiver.requests} == {row.idempotency_key}
    assert len({r["body"] for r in receiver.requests}) == 1
    for request in receiver.requests:
        verify(request, secret)


@pytest.mark.parametrize("status", [410, 400, 301])
def test_another_4xx_or_a_redirect_fails_at_once(
    personas: Personas, receiver: Receiver, t0: datetime, status: int
) -> None:
    org = agency(personas, contact_email="", contact_phone="")
    endpoint_for(personas, org, receiver.url)
    refer(personas, org, t0)
    receiver.script = [status]

    assert outbox.outbox_send(now=t0).failed == 1
    row = Notification.objects.get(channel="webhook")
    assert (row.state, row.attempts, row.next_attempt_at) == (NState.FAILED, 1, None)
    assert row.last_error == f"endpoint answered {status}"
    assert not outbox.outbox_send(now=t0 + timedelta(hours=1))
    assert len(receiver.requests) == 1


def test_a_timeout_and_a_refused_connection_are_retried(
    personas: Personas,
    receiver: Receiver,
    t0: datetime,
    monkeypatch: pytest.MonkeyPatch,
    client: Client,
) -> None:
    monkeypatch.setattr(channels, "WEBHOOK_TIMEOUT_SECONDS", 0.3)
    org = agency(personas, contact_email="", contact_phone="")
    endpoint_for(personas, org, receiver.url)
    endpoint_for(personas, org, "http://127.0.0.1:9/closed")  # the discard port: refused
    refer(personas, org, t0)
    receiver.script = ["sleep"]

    result = outbox.outbox_send(now=t0)

    assert result.retrying == 2
    errors = sorted(Notification.objects.values_list("last_error", flat=True))
    assert errors == [
        "endpoint unreachable: ConnectionRefusedError",
        "endpoint unreachable: TimeoutError",
    ]
    assert set(Notification.objects.values_list("state", flat=True)) == {NState.PENDING}
    # The deliveries page says why in the administrator's language; the API keeps the text.
    client.force_login(personas.admin)
    page = reverse("carers:webhook-deliveries")
    zh = client.get(page, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "接收地址在 0.3 秒内没有应答。" in zh
    assert "无法连接接收地址（ConnectionRefusedError）。" in zh
    assert "endpoint unreachable" not in zh
    en = client.get(page, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The endpoint did not answer within 0.3 seconds." in en


def test_a_receiver_that_keeps_failing_is_given_up_after_the_last_attempt(
    personas: Personas, receiver: Receiver, t0: datetime
) -> None:
    org = agency(personas, contact_email="", contact_phone="")
    endpoint_for(personas, org, receiver.url)
    refer(personas, org, t0)
    receiver.script = [503] * 20
    row = Notification.objects.get(channel="webhook")

    clock = t0
    for _ in range(outbox.outbox.MAX_ATTEMPTS):
        outbox.outbox_send(now=clock)
        row.refresh_from_db()
        if row.next_attempt_at is not None:
            clock = row.next_attempt_at

    assert (row.state, row.attempts) == (NState.FAILED, outbox.outbox.MAX_ATTEMPTS)
    assert len(receiver.requests) == outbox.outbox.MAX_ATTEMPTS
    assert not outbox.outbox_send(now=clock + timedelta(hours=1))


def test_a_killed_workers_delivery_is_sent_again_after_the_lease_with_the_same_key(
    personas: Personas, receiver: Receiver, t0: datetime
) -> None:
    org = agency(personas, contact_email="", contact_phone="")
    _endpoint, secret = endpoint_for(personas, org, receiver.url)
    refer(personas, org, t0)
    row = Notification.objects.get(channel="webhook")
    module = outbox.outbox.__dict__
    # The killed worker claimed the row and got as far as the receiver, then died.
    (claimed,) = module["_claim"](t0, 10)
    module["_Channels"]().send(claimed)

    assert not outbox.outbox_send(now=t0 + timedelta(seconds=29))  # its lease still holds
    assert outbox.outbox_send(now=t0 + timedelta(seconds=31)).sent == 1

    row.refresh_from_db()
    assert (row.state, row.attempts) == (NState.SENT, 2)
    keys = [r["headers"]["Idempotency-Key"] for r in receiver.requests]
    assert keys == [row.idempotency_key] * 2
    for request in receiver.requests:
        verify(request, secret)


def test_a_deactivated_endpoint_is_sent_nothing_more_and_a_rotated_secret_signs_the_next(
    personas: Personas, receiver: Receiver, t0: datetime
) -> None:
    org = agency(personas, contact_email="", contact_phone="")
    endpoint, first = endpoint_for(personas, org, receiver.url)
    refer(personas, org, t0)
    receiver.script = [503]
    outbox.outbox_send(now=t0)
    rotated = outbox.webhook_endpoint_rotate(actor=personas.admin, endpoint=endpoint)
    assert rotated != first and rotated.startswith("whsec_")
    outbox.outbox_send(now=t0 + timedelta(seconds=2))
    verify(receiver.requests[-1], rotated)

    refer(personas, agency(personas, name="又一家", contact_email="", contact_phone=""), t0)
    second_org = Organisation.objects.get(name="又一家")
    other, _secret = endpoint_for(personas, second_org, receiver.url)
    Notification.objects.filter(webhook=other).delete()
    referral = refer(personas, second_org, t0)
    outbox.webhook_endpoint_deactivate(actor=personas.admin, endpoint=other)
    sent_before = len(receiver.requests)
    assert outbox.outbox_send(now=t0 + timedelta(seconds=3)).failed == 1
    row = Notification.objects.get(
        idempotency_key__startswith=f"referral-{referral.pk}-created-webhook"
    )
    assert (row.state, row.last_error) == (NState.FAILED, "the endpoint is deactivated")
    assert len(receiver.requests) == sent_before


def test_each_step_is_posted_and_overdue_is_told_once(
    personas: Personas, receiver: Receiver, t0: datetime
) -> None:
    org = agency(personas, contact_email="", contact_phone="")
    endpoint_for(personas, org, receiver.url)
    referral = refer(personas, org, t0)
    network_services.referral_accept(actor=personas.admin, referral=referral, now=t0)
    today = referral.due_on + timedelta(days=1)
    assert network_services.referrals_remind_overdue(today) == 1
    assert network_services.referrals_remind_overdue(today) == 0

    events = list(
        Notification.objects.filter(channel="webhook")
        .order_by("pk")
        .values_list("payload__event", flat=True)
    )
    assert events == ["referral.created", "referral.accepted", "referral.overdue"]
    outbox.outbox_send(now=t0)
    told = {
        r["headers"]["X-Care365-Event"]: json.loads(r["body"])["data"]["state"]
        for r in receiver.requests
    }
    assert told == {
        "referral.created": "sent",
        "referral.accepted": "accepted",
        "referral.overdue": "accepted",
    }


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://files.example.org/x", "starts with https://"),
        ("javascript:alert(1)", "starts with https://"),
        ("https://user:pw@example.org/hook", "user name and password"),
        ("", "This field is required."),
        ("https://example.org:99999/x", "valid http or https"),
    ],
)
def test_an_address_that_is_not_http_is_refused(personas: Personas, url: str, words: str) -> None:
    org = agency(personas)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        endpoint_for(personas, org, url)
    assert words in refused.value.message_dict["url"][0]
    assert not WebhookEndpoint.objects.exists()


def test_production_refuses_plain_http_but_to_loopback(personas: Personas, settings: Any) -> None:
    settings.PRODUCTION = True
    org = agency(personas)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        endpoint_for(personas, org, "http://sunshine.example/hook")
    assert "https://" in refused.value.message_dict["url"][0]
    assert (
        "网" in refused.value.message_dict["url"][0]
        or "地址" in refused.value.message_dict["url"][0]
    )
    endpoint_for(personas, org, "http://127.0.0.1:8080/hook")
    endpoint_for(personas, org, "https://sunshine.example/hook")
    assert WebhookEndpoint.objects.count() == 2


def test_the_referral_and_its_messages_are_written_together_or_not_at_all(
    personas: Personas, receiver: Receiver, t0: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = agency(personas)
    endpoint_for(personas, org, receiver.url)

    def broken(**kwargs: Any) -> bool:
        raise RuntimeError("the outbox is full")

    monkeypatch.setattr("care365.protection.services.webhooks.webhook_queue", broken)
    with pytest.raises(RuntimeError):
        refer(personas, org, t0)

    assert not Referral.objects.exists()
    assert not Notification.objects.exists()  # the email queued before is rolled back too
