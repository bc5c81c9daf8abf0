"""The outbox against a real SMTP server and a real SMS gateway on loopback."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from care365.accounts.access import child_get_for_user
from care365.protection import services
from care365.protection.channels import sign
from care365.protection.models import Alert, AlertEvent, Kind, Notification
from care365.protection.tests.conftest import GATEWAY_SECRET, Gateway, SmtpServer, another_child
from conftest import Personas

NState = Notification.State


def raise_for_another(p: Personas, t0: datetime) -> Alert:
    """An alert for a new child of village A (paired with the officer)."""
    return services.alert_raise(
        actor=p.director_a, child=another_child(p), kind=Kind.INJURY, now=t0
    )


def raise_for_a(p: Personas, t0: datetime) -> Alert:
    child = child_get_for_user(p.director_a, p.child_a.pk, "view")
    return services.alert_raise(actor=p.director_a, child=child, kind=Kind.INJURY, now=t0)


@pytest.mark.django_db
def test_the_officer_gets_the_email_and_the_sms(
    paired: Personas, t0: datetime, smtp_server: SmtpServer, gateway: Gateway
) -> None:
    alert = raise_for_a(paired, t0)

    result = services.outbox_send(now=t0)

    assert (result.sent, result.retrying, result.failed) == (2, 0, 0)
    (mail,) = smtp_server.mailbox.messages
    email_row = Notification.objects.get(alert=alert, channel="email")
    assert mail["To"] == "officer@police.example"
    assert mail["Message-ID"] == f"<{email_row.idempotency_key}@care365>"
    assert mail["X-Care365-Idempotency-Key"] == email_row.idempotency_key
    assert f"#{alert.pk}" in str(mail["Subject"]) or f"#{alert.pk}" in mail.get_payload()
    assert paired.child_a.name not in mail.as_string()

    (request,) = gateway.requests
    sms_row = Notification.objects.get(alert=alert, channel="sms")
    assert request["valid"]
    assert request["signature"] == "sha256=" + sign(request["body"], GATEWAY_SECRET)
    assert request["key"] == sms_row.idempotency_key
    body = json.loads(request["body"])
    assert body["to"] == "13700000001"
    assert body["idempotency_key"] == sms_row.idempotency_key
    assert str(alert.pk) in body["text"] and paired.village_a.name in body["text"]
    assert paired.child_a.name not in body["text"]

    for row in (email_row, sms_row):
        row.refresh_from_db()
        assert (row.state, row.attempts, row.sent_at) == (NState.SENT, 1, t0)
    sent_events = AlertEvent.objects.filter(alert=alert, kind="notification_sent")
    assert sorted(e.data["channel"] for e in sent_events) == ["email", "in_app", "sms"]
    # Nothing left to send: another run sends nothing more.
    assert not services.outbox_send(now=t0 + timedelta(hours=1))
    assert len(gateway.requests) == 1 and len(smtp_server.mailbox.messages) == 1


@pytest.mark.django_db
def test_a_failing_gateway_is_retried_with_backoff_and_delivers_once(
    paired: Personas, t0: datetime, gateway: Gateway, settings: Any
) -> None:
    paired.officer.email = ""
    paired.officer.save()
    alert = raise_for_a(paired, t0)
    row = Notification.objects.get(alert=alert, channel="sms")
    gateway.fail_next = 3

    waits = []
    clock = t0
    for _ in range(4):
        result = services.outbox_send(now=clock)
        row.refresh_from_db()
        if row.state == NState.SENT:
            break
        assert result.retrying == 1 and row.state == NState.PENDING
        assert row.next_attempt_at is not None
        waits.append((row.next_attempt_at - clock).total_seconds())
        # Not due yet: a run a moment before the retry time sends nothing.
        assert not services.outbox_send(now=row.next_attempt_at - timedelta(milliseconds=1))
        clock = row.next_attempt_at

    assert waits == [2.0, 4.0, 8.0]
    assert (row.state, row.attempts, row.last_error) == (NState.SENT, 4, "")
    assert len(gateway.requests) == 4
    assert {r["key"] for r in gateway.requests} == {row.idempotency_key}
    assert list(gateway.delivered) == [row.idempotency_key] and gateway.duplicates == 0


@pytest.mark.django_db
def test_a_send_whose_worker_died_is_taken_over_after_the_lease_with_the_same_key(
    paired: Personas, t0: datetime, gateway: Gateway
) -> None:
    """A worker claimed the SMS and was killed mid-send (the row stays `sending`). Another
    worker takes it over when the lease runs out; the gateway sees the same idempotency key,
    so the officer's phone gets one message."""
    paired.officer.email = ""
    paired.officer.save()
    alert = raise_for_a(paired, t0)
    row = Notification.objects.get(alert=alert, channel="sms")
    # The killed worker got as far as the gateway: it delivered, then died before recording it.
    claimed = services.outbox.__dict__["_claim"](t0, 10)
    assert [r.pk for r in claimed] == [row.pk]
    services.outbox.__dict__["_Channels"]().send(claimed[0])
    assert len(gateway.delivered) == 1

    assert not services.outbox_send(now=t0 + timedelta(seconds=29))  # lease still held
    result = services.outbox_send(now=t0 + timedelta(seconds=31))

    row.refresh_from_db()
    assert result.sent == 1 and (row.state, row.attempts) == (NState.SENT, 2)
    assert [r["key"] for r in gateway.requests] == [row.idempotency_key] * 2
    assert len(gateway.delivered) == 1 and gateway.duplicates == 1


@pytest.mark.django_db
def test_a_send_recorded_after_its_lease_was_taken_over_is_left_to_the_new_worker(
    paired: Personas, t0: datetime, gateway: Gateway
) -> None:
    """A slow worker sent the SMS after its lease ran out and another worker had taken the row
    over: the slow worker records nothing, so the row's outcome and its record are the new
    worker's alone."""
    paired.officer.email = ""
    paired.officer.save()
    alert = raise_for_a(paired, t0)
    row = Notification.objects.get(alert=alert, channel="sms")
    outbox = services.outbox.__dict__
    slow = outbox["_claim"](t0, 10)
    assert services.outbox_send(now=t0 + timedelta(seconds=31)).sent == 1

    assert outbox["_mark_sent"](slow, t0 + timedelta(seconds=40)) == 0

    row.refresh_from_db()
    assert (row.state, row.attempts, row.sent_at) == (
        NState.SENT,
        2,
        t0 + timedelta(seconds=31),
    )
    assert AlertEvent.objects.filter(notification=row, kind="notification_sent").count() == 1


@pytest.mark.django_db
def test_a_run_of_messages_shares_one_kept_alive_connection(
    paired: Personas, t0: datetime, gateway: Gateway
) -> None:
    """A storm sends hundreds of SMS a second: one connection carries a run of them, and a
    gateway that closes the connection after each answer still gets every message."""
    paired.officer.email = ""
    paired.officer.save()
    for i in range(5):
        raise_for_another(paired, t0 + timedelta(milliseconds=i))

    assert services.outbox_send(now=t0 + timedelta(seconds=1)).sent == 5
    assert len(gateway.delivered) == 5 and len(gateway.connections) == 1

    gateway.close_after_each = True
    for i in range(3):
        raise_for_another(paired, t0 + timedelta(seconds=2, milliseconds=i))
    assert services.outbox_send(now=t0 + timedelta(seconds=3)).sent == 3
    assert len(gateway.delivered) == 8 and len(gateway.connections) == 1 + 3
    assert gateway.duplicates == 0


@pytest.mark.django_db
def test_permanent_failures_are_not_retried(
    paired: Personas, t0: datetime, gateway: Gateway, settings: Any
) -> None:
    settings.SMS_GATEWAY_SECRET = "wrong-secret"  # the gateway answers 401
    paired.officer.email = ""
    paired.officer.save()
    alert = raise_for_a(paired, t0)

    result = services.outbox_send(now=t0)

    row = Notification.objects.get(alert=alert, channel="sms")
    assert result.failed == 1
    assert (row.state, row.attempts, row.next_attempt_at) == (NState.FAILED, 1, None)
    assert "401" in row.last_error
    failed = AlertEvent.objects.get(alert=alert, kind="notification_failed")
    assert failed.notification == row
    assert not services.outbox_send(now=t0 + timedelta(days=1))


@pytest.mark.django_db
def test_an_unreachable_gateway_gives_up_after_the_last_attempt(
    paired: Personas, t0: datetime, settings: Any
) -> None:
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/sms"  # discard port: connection refused
    paired.officer.email = ""
    paired.officer.save()
    alert = raise_for_a(paired, t0)
    row = Notification.objects.get(alert=alert, channel="sms")
    clock = t0
    for _ in range(services.outbox.MAX_ATTEMPTS):
        services.outbox_send(now=clock)
        row.refresh_from_db()
        clock = row.next_attempt_at or clock
    assert (row.state, row.attempts) == (NState.FAILED, services.outbox.MAX_ATTEMPTS)
    assert "unreachable" in row.last_error
    assert services.backoff_seconds(20) == 600.0


@pytest.mark.django_db
def test_without_a_configured_gateway_sms_fail_visibly(
    paired: Personas, t0: datetime, settings: Any
) -> None:
    settings.SMS_GATEWAY_URL = ""
    paired.officer.email = ""
    paired.officer.save()
    alert = raise_for_a(paired, t0)
    services.outbox_send(now=t0)
    row = Notification.objects.get(alert=alert, channel="sms")
    assert row.state == NState.FAILED and "CARE365_SMS_GATEWAY_URL" in row.last_error


@pytest.mark.django_db
def test_an_unreachable_mail_server_is_retried(
    paired: Personas, t0: datetime, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9
    settings.SMS_GATEWAY_URL = ""
    alert = raise_for_a(paired, t0)
    services.outbox_send(now=t0)
    row = Notification.objects.get(alert=alert, channel="email")
    assert row.state == NState.PENDING and row.next_attempt_at == t0 + timedelta(seconds=2)
    assert "mail server" in row.last_error


# --- other apps' messages (the daily care digest) -----------------------------------------------

DIGEST = Notification.Kind.CARE_DIGEST


@pytest.mark.django_db
def test_another_apps_message_is_queued_once_by_its_key_and_sent(
    paired: Personas, t0: datetime, smtp_server: SmtpServer
) -> None:
    officer = paired.officer
    message = {"subject": "Care365 today", "text": "Two visits are due.\n"}
    assert services.notification_queue(
        kind=DIGEST,
        recipient=officer,
        address=officer.email,
        key="care-digest-7-x",
        now=t0,
        **message,
    )
    # The same key again (a job run twice): nothing more is queued.
    assert not services.notification_queue(
        kind=DIGEST,
        recipient=officer,
        address=officer.email,
        key="care-digest-7-x",
        now=t0,
        **message,
    )
    row = Notification.objects.get(idempotency_key="care-digest-7-x")
    assert (row.kind, row.alert, row.state, row.next_attempt_at) == (
        DIGEST,
        None,
        NState.PENDING,
        t0,
    )

    assert services.outbox_send(now=t0).sent == 1

    (mail,) = smtp_server.mailbox.messages
    assert mail["To"] == officer.email and mail["Subject"] == "Care365 today"
    assert mail["Message-ID"] == "<care-digest-7-x@care365>"
    assert "Two visits are due." in mail.get_payload()
    row.refresh_from_db()
    assert (row.state, row.attempts, row.sent_at) == (NState.SENT, 1, t0)
    assert not AlertEvent.objects.exists()  # it belongs to no alert's history
    assert not services.outbox_send(now=t0 + timedelta(hours=1))


@pytest.mark.django_db
def test_another_apps_message_that_fails_for_good_is_failed_without_an_alert(
    paired: Personas, t0: datetime, settings: Any
) -> None:
    settings.SMS_GATEWAY_URL = ""  # a permanent failure
    services.notification_queue(
        kind=DIGEST,
        recipient=None,
        address="13700000001",
        key="care-digest-7-y",
        subject="",
        text="Two visits are due.",
        channel="sms",
        now=t0,
    )
    assert services.outbox_send(now=t0).failed == 1
    row = Notification.objects.get(idempotency_key="care-digest-7-y")
    assert row.state == NState.FAILED and "CARE365_SMS_GATEWAY_URL" in row.last_error
    assert not AlertEvent.objects.exists()


@pytest.mark.django_db
def test_only_an_alert_has_alert_notifications_and_others_go_by_email_or_sms(
    paired: Personas, t0: datetime
) -> None:
    officer = paired.officer
    common: dict[str, Any] = {
        "recipient": officer,
        "key": "k",
        "subject": "s",
        "text": "t",
        "now": t0,
    }
    with pytest.raises(ValueError, match="escalation steps"):
        services.notification_queue(kind="alert", address=officer.email, **common)
    with pytest.raises(ValueError, match="email or SMS"):
        services.notification_queue(kind=DIGEST, address="", channel="in_app", **common)
    with pytest.raises(ValueError, match="address"):
        services.notification_queue(kind=DIGEST, address="", **common)
    assert not Notification.objects.exists()
    # The table holds it too: an alert's notification names its alert, another kind's none.
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(
            kind="alert",
            level=0,
            channel="email",
            recipient=officer,
            address=officer.email,
            idempotency_key="x",
            created_at=t0,
        )
