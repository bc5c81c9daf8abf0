"""The notification outbox: every queued email, SMS and webhook is sent, retried, and sent once.

Alerts' notifications are queued by their escalation steps (steps.py); other apps queue their
messages with `notification_queue` (the daily care digest) and `webhook_queue` (an organisation's
referral events, webhooks.py), and they are sent, retried and de-duplicated the same way.

A worker claims due rows (`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL; serialised write
transactions on SQLite) by marking them `sending` with a lease, commits, and only then talks to
the mail server or the SMS gateway: no transaction stays open over the network. Outcomes are
written only for rows still (state = sending, attempts) as claimed, so a worker whose lease ran
out while it waited cannot overwrite the outcome of the worker that took the row over; the sent
rows of a batch are recorded together, in one transaction, when the batch is done.

- Success: `sent`, with a "notification sent" step in the alert's record (an alert's).
- Temporary failure (server unreachable, timeout, 5xx, 408, 425, 429): back to `pending`,
  retried after 2, 4, 8 ... seconds (at most 10 minutes), up to 8 attempts.
- Permanent failure (address refused, 4xx, no gateway configured) or attempts used up: `failed`,
  with a "notification failed" step in the alert's record (an alert's; another kind's is logged).
- A worker killed while sending leaves the row `sending`; when its lease (30 s) runs out another
  worker sends it again with the same idempotency key, which the gateway uses to drop the
  duplicate (an email carries it as its Message-ID).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from care365.accounts.models import User
from care365.protection import policy
from care365.protection.channels import (
    SMS_OFF,
    ChannelError,
    EmailChannel,
    SmsGateway,
    WebhookChannel,
    mask_address,
    render_notification,
    sms_configured,
    sms_gateway,
)
from care365.protection.models import (
    WEBHOOK,
    AlertEvent,
    InAppEvent,
    Notification,
    WebhookEndpoint,
)
from care365.protection.services.steps import Emitter, logger

LEASE = timedelta(seconds=30)
BATCH = 20
# Rows one outbox run handles at most, so a worker also gets on with its other duties.
LIMIT = 200
MAX_ATTEMPTS = 8
BACKOFF_FIRST_SECONDS = 2.0
BACKOFF_MAX_SECONDS = 600.0
# The version of a webhook body's layout (docs/network.md): raised when a field changes meaning
# or goes away; fields are only ever added within a version.
WEBHOOK_VERSION = 1

NState = Notification.State


def channels_off() -> list[str]:
    """What the outbox cannot send with today's settings, one sentence each (the worker says it
    once as it starts; the notifications themselves are then recorded as failed quietly)."""
    return [] if sms_configured() else [SMS_OFF]


def backoff_seconds(attempts: int) -> float:
    """How long to wait after the `attempts`-th failed attempt: 2, 4, 8 ... at most 600 s."""
    return float(min(BACKOFF_FIRST_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS))


@dataclass
class OutboxResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def __bool__(self) -> bool:
        return bool(self.sent or self.retrying or self.failed)


def notification_queue(
    *,
    kind: str,
    recipient: User | None,
    address: str,
    key: str,
    subject: str,
    text: str,
    channel: str = policy.EMAIL,
    now: datetime | None = None,
) -> bool:
    """Queue a message of another kind than an alert's (an alert's are queued by its escalation
    steps) for the outbox to send, retry and de-duplicate like every notification.

    `key` is its idempotency key: a message whose key is already in the outbox is not queued
    again (returns False), so a job run twice the same day, or catching up a day, sends each
    message once. The words are written now, by the caller, and must not name a child. Email or
    SMS only: in-app notices are the caller's own.
    """
    if kind == Notification.Kind.ALERT:
        raise ValueError("an alert's notifications are queued by its escalation steps")
    if channel not in (policy.EMAIL, policy.SMS):
        raise ValueError(f"the outbox sends these messages by email or SMS, not {channel!r}")
    if not address:
        raise ValueError("a message needs an address")
    at = now if now is not None else timezone.now()
    _row, created = Notification.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "kind": kind,
            "level": 0,
            "channel": channel,
            "recipient": recipient,
            "address": address,
            "created_at": at,
            "next_attempt_at": at,
            "payload": {"subject": subject, "text": text},
        },
    )
    return created


def webhook_queue(
    *,
    kind: str,
    endpoint: WebhookEndpoint,
    key: str,
    event: str,
    data: dict[str, Any],
    now: datetime | None = None,
) -> bool:
    """Queue one webhook delivery of `event` to an organisation's endpoint; `data` is what the
    event says (never a child's name, ID number, phone or address). `key` is the delivery's
    idempotency key: a key already in the outbox queues nothing (returns False). The body is
    written from the payload when sent, the same bytes on every attempt."""
    if kind == Notification.Kind.ALERT:
        raise ValueError("an alert's notifications are queued by its escalation steps")
    at = now if now is not None else timezone.now()
    _row, created = Notification.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "kind": kind,
            "level": 0,
            "channel": WEBHOOK,
            "webhook": endpoint,
            "created_at": at,
            "next_attempt_at": at,
            "payload": {
                "event": event,
                "version": WEBHOOK_VERSION,
                "created": at.isoformat(),
                "data": data,
            },
        },
    )
    return created


def webhook_body(row: Notification) -> bytes:
    """What a delivery POSTs: `{"id": <idempotency key>, "type": <event>, "version": <the
    body's version>, "created": <when queued>, "data": {...}}` as compact UTF-8 JSON, the same
    bytes on every attempt (a delivery queued before bodies carried a version has none)."""
    document: dict[str, Any] = {
        "id": row.idempotency_key,
        "type": row.payload.get("event", ""),
    }
    if "version" in row.payload:
        document["version"] = row.payload["version"]
    document["created"] = row.payload.get("created", "")
    document["data"] = row.payload.get("data", {})
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _claim(now: datetime, limit: int) -> list[Notification]:
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(state__in=[NState.PENDING, NState.SENDING], next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")[:limit]
        )
        if not rows:
            return []
        Notification.objects.filter(pk__in=[r.pk for r in rows]).update(
            state=NState.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + LEASE
        )
    for row in rows:
        row.state = NState.SENDING
        row.attempts += 1
    return rows


def _mark_sent(rows: list[Notification], at: datetime) -> int:
    """Record sent rows, each with a "notification sent" step in its alert's record: one
    transaction for a batch. A row whose lease was lost meanwhile (another worker took it over,
    so its state or attempts changed) is left to that worker; returns how many were recorded."""
    if not rows:
        return 0
    owned = Q()
    for row in rows:
        owned |= Q(pk=row.pk, attempts=row.attempts)
    with transaction.atomic():
        still_ours = set(
            Notification.objects.select_for_update()
            .filter(owned, state=NState.SENDING)
            .values_list("pk", flat=True)
        )
        if not still_ours:
            return 0
        Notification.objects.filter(pk__in=still_ours).update(
            state=NState.SENT, sent_at=at, next_attempt_at=None, last_error=""
        )
        AlertEvent.objects.bulk_create(
            [
                AlertEvent(
                    alert_id=row.alert_id,
                    kind=AlertEvent.Kind.NOTIFICATION_SENT,
                    at=at,
                    level=row.level,
                    notification=row,
                    data={"channel": row.channel},
                )
                for row in rows
                if row.pk in still_ours and row.alert_id is not None
            ]
        )
    return len(still_ours)


def _mark_failed(row: Notification, error: ChannelError, at: datetime) -> str:
    """Record a failed attempt; returns the row's new state."""
    final = error.permanent or row.attempts >= MAX_ATTEMPTS
    state = NState.FAILED if final else NState.PENDING
    retry_at = None if final else at + timedelta(seconds=backoff_seconds(row.attempts))
    with transaction.atomic():
        done = Notification.objects.filter(
            pk=row.pk, state=NState.SENDING, attempts=row.attempts
        ).update(state=state, next_attempt_at=retry_at, last_error=str(error)[:255])
        if done and final and row.alert_id is not None:
            AlertEvent.objects.create(
                alert_id=row.alert_id,
                kind=AlertEvent.Kind.NOTIFICATION_FAILED,
                at=at,
                level=row.level,
                notification=row,
                data={"channel": row.channel, "error": str(error)[:200]},
            )
    return state


def _deliver_in_app(row: Notification, at: datetime) -> None:
    """In-app rows are delivered where they are queued; one left pending (an older release, a
    manual retry) is delivered here, once: the event row is unique per notification."""
    with transaction.atomic():
        if InAppEvent.objects.filter(notification=row).exists():
            Notification.objects.filter(pk=row.pk).update(
                state=NState.SENT, next_attempt_at=None, sent_at=at
            )
            return
        emitter = Emitter(at)
        assert row.recipient_id is not None  # noqa: S101  # in-app rows always have a user
        emitter.add(row.recipient_id, "alert", {**row.payload}, row)
        emitter.flush()


class _Channels:
    """The email connection and SMS gateway of one outbox run, opened when first needed."""

    def __init__(self) -> None:
        self.email: EmailChannel | None = None
        self.sms: SmsGateway | None = None
        self.webhook = WebhookChannel()

    def send(self, row: Notification) -> None:
        if row.channel == WEBHOOK:
            # Read now, not when queued: a deactivated endpoint gets nothing more, a rotated
            # secret signs from the next attempt on.
            endpoint = WebhookEndpoint.objects.filter(pk=row.webhook_id or 0).first()
            if endpoint is None or not endpoint.active:
                raise ChannelError("the endpoint is deactivated", permanent=True)
            self.webhook.send(
                url=endpoint.url,
                secret=endpoint.secret,
                body=webhook_body(row),
                key=row.idempotency_key,
                event=str(row.payload.get("event", "")),
            )
            return
        message = render_notification(row.kind, row.payload)
        if row.channel == policy.EMAIL:
            if self.email is None:
                self.email = EmailChannel()
            self.email.send(address=row.address, message=message, key=row.idempotency_key)
        elif row.channel == policy.SMS:
            if self.sms is None:
                self.sms = sms_gateway()
            self.sms.send(to=row.address, text=message.text, key=row.idempotency_key)
        else:
            raise ChannelError(f"unknown channel {row.channel!r}", permanent=True)

    def close(self) -> None:
        if self.email is not None:
            self.email.close()
        if self.sms is not None:
            self.sms.close()


def _release(rows: list[Notification], at: datetime) -> None:
    """Give claimed rows back unsent (this run is taking too long for their lease)."""
    for row in rows:
        Notification.objects.filter(pk=row.pk, state=NState.SENDING, attempts=row.attempts).update(
            state=NState.PENDING, attempts=F("attempts") - 1, next_attempt_at=at
        )


def _send_one(
    row: Notification, channels: _Channels, at: Callable[[], datetime], sent: list[Notification]
) -> str:
    """Send one claimed row; a failure is recorded at once, a success is added to `sent` for
    the caller to record with the rest of its batch. Returns "sent", "retrying" or "failed"."""
    if row.channel == policy.IN_APP:
        _deliver_in_app(row, at())
        return "sent"
    where = mask_address(row.channel, row.address) or f"endpoint #{row.webhook_id}"
    try:
        channels.send(row)
    except ChannelError as exc:
        error: ChannelError = exc
    except Exception as exc:  # an adapter bug must not stop the other messages
        logger.exception("notification #%s: unexpected error", row.pk)
        error = ChannelError(f"{type(exc).__name__}: {exc}")
    else:
        sent.append(row)
        logger.info("notification #%s sent by %s to %s", row.pk, row.channel, where)
        return "sent"
    state = _mark_failed(row, error, at())
    if state == NState.FAILED:
        # A channel that is not set up was said once, when the worker started.
        level = logging.DEBUG if error.unconfigured else logging.WARNING
        logger.log(
            level, "notification #%s by %s to %s failed: %s", row.pk, row.channel, where, error
        )
        return "failed"
    logger.info("notification #%s by %s to %s: retry (%s)", row.pk, row.channel, where, error)
    return "retrying"


def outbox_send(*, now: datetime | None = None, limit: int = LIMIT) -> OutboxResult:
    """Send the notifications due at `now` (default: the current time); returns the counts.

    Any number of workers may run it at once: a row is claimed by one of them at a time, in
    batches of twenty, so a worker killed mid-batch holds back few messages until their lease runs
    out. A batch that takes more than half its lease gives the rest of its rows back. With `now`
    given, it is also the time recorded for sends and retries (tests drive the clock).
    """
    result = OutboxResult()

    def at() -> datetime:
        return now if now is not None else timezone.now()

    channels = _Channels()
    handled = 0
    try:
        while handled < limit:
            rows = _claim(at(), min(BATCH, limit - handled))
            if not rows:
                break
            handled += len(rows)
            claimed = time.monotonic()
            sent: list[Notification] = []
            try:
                for i, row in enumerate(rows):
                    if time.monotonic() - claimed > LEASE.total_seconds() / 2:
                        _release(rows[i:], at())
                        break
                    outcome = _send_one(row, channels, at, sent)
                    setattr(result, outcome, getattr(result, outcome) + 1)
            finally:
                recorded = _mark_sent(sent, at())
                if recorded < len(sent):
                    logger.warning(
                        "%d notification(s) sent after their lease ran out", len(sent) - recorded
                    )
    finally:
        channels.close()
    return result
