"""Firing one escalation step and writing in-app events: shared by raising and by the sweeper.

A step's notifications are written to the outbox in the caller's transaction, with the event that
records the step. In-app notifications are delivered in that same transaction (an in-app event is
a row in the same database): the recipient's open page hears of the alert the moment the
transaction commits, and on PostgreSQL a NOTIFY on channel `care365_events` (payload: the user's
id) wakes the page's event stream at that commit.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import F

from care365.areas.models import Area
from care365.protection import policy
from care365.protection.channels import normalise_phone
from care365.protection.models import (
    Alert,
    AlertEvent,
    EscalationPolicy,
    InAppEvent,
    InAppStream,
    Notification,
)
from care365.protection.recipients import targets_for

logger = logging.getLogger("care365.protection")

PG_NOTIFY_CHANNEL = "care365_events"
EventKind = AlertEvent.Kind


def county_of(area: Area) -> Area:
    """The county an area belongs to."""
    while area.level != Area.Level.COUNTY and area.parent is not None:
        area = area.parent
    return area


def policy_for(county: Area) -> tuple[policy.Policy, EscalationPolicy | None]:
    """The county's policy (the default when it has none) and its row, for the desk contacts.

    A stored policy is validated when saved; should one still not parse, an alert must not fail
    for it, so the default applies and the error is logged.
    """
    row = EscalationPolicy.objects.filter(county=county).first()
    if row is None:
        return policy.DEFAULT_POLICY, None
    try:
        return row.as_policy(), row
    except policy.PolicyError:
        logger.exception("escalation policy of county #%s is invalid; using the default", county.pk)
        return policy.DEFAULT_POLICY, row


def alert_policy(alert: Alert) -> policy.Policy:
    """The policy an alert escalates by: the one it was raised under."""
    try:
        return policy.parse(alert.policy)
    except policy.PolicyError:
        logger.exception("alert #%s carries an invalid policy; using the default", alert.pk)
        return policy.DEFAULT_POLICY


@dataclass
class Emitter:
    """Collects one transaction's in-app events and writes them together in `flush`.

    Each user's events are numbered under the lock of the user's stream row, taken in user-id
    order, so two transactions never wait for each other in a cycle, and a user's events commit in
    the order of their numbers (a stream resumed after event n never misses one).
    """

    now: datetime
    items: list[tuple[int, str, dict[str, Any], Notification | None]] = field(default_factory=list)

    def add(
        self,
        user_id: int,
        kind: str,
        data: dict[str, Any],
        notification: Notification | None = None,
    ) -> None:
        self.items.append((user_id, kind, data, notification))

    def flush(self) -> list[InAppEvent]:
        if not self.items:
            return []
        per_user = Counter(user_id for user_id, _k, _d, _n in self.items)
        users = sorted(per_user)
        InAppStream.objects.bulk_create(
            [InAppStream(user_id=u) for u in users], ignore_conflicts=True
        )
        next_seq: dict[int, int] = {}
        for user_id in users:
            InAppStream.objects.filter(user_id=user_id).update(
                last_seq=F("last_seq") + per_user[user_id]
            )
            last = InAppStream.objects.values_list("last_seq", flat=True).get(user_id=user_id)
            next_seq[user_id] = last - per_user[user_id] + 1
        events: list[InAppEvent] = []
        for user_id, kind, data, notification in self.items:
            events.append(
                InAppEvent(
                    user_id=user_id,
                    seq=next_seq[user_id],
                    kind=kind,
                    data=data,
                    created_at=self.now,
                    notification=notification,
                )
            )
            next_seq[user_id] += 1
        InAppEvent.objects.bulk_create(events)
        delivered = [n for _u, _k, _d, n in self.items if n is not None]
        if delivered:
            Notification.objects.filter(
                pk__in=[n.pk for n in delivered],
                state__in=[Notification.State.PENDING, Notification.State.SENDING],
            ).update(
                state=Notification.State.SENT,
                sent_at=self.now,
                next_attempt_at=None,
                attempts=F("attempts") + 1,
                last_error="",
            )
            AlertEvent.objects.bulk_create(
                [
                    AlertEvent(
                        alert_id=n.alert_id,
                        kind=EventKind.NOTIFICATION_SENT,
                        at=self.now,
                        level=n.level,
                        notification=n,
                        data={"channel": n.channel},
                    )
                    for n in delivered
                ]
            )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for user_id in users:
                    cursor.execute("SELECT pg_notify(%s, %s)", [PG_NOTIFY_CHANNEL, str(user_id)])
        self.items = []
        return events


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]


def alert_payload(alert: Alert, level: int, pol: policy.Policy) -> dict[str, Any]:
    """What a notification of this alert says: never the child's name or ID number."""
    village = alert.village
    township = village.parent if village is not None else None
    return {
        "alert": alert.pk,
        "level": level,
        "who": pol.step_at(level).who,
        "kind": alert.kind,
        "village": village.name if village is not None else "",
        "township": township.name if township is not None else "",
        "repeat": level > pol.last,
        "sender": alert.sender_masked,
    }


def fire_step(
    alert: Alert,
    pol: policy.Policy,
    level: int,
    *,
    now: datetime,
    due_at: datetime | None,
    event_kind: str,
    actor_id: int | None,
    desk: EscalationPolicy | None,
    emitter: Emitter,
    skipped_repeats: int = 0,
) -> int:
    """Queue the notifications of `level` for `alert` and record the step; returns how many
    notifications were queued (0: nobody could be reached at this step)."""
    step = pol.step_at(level)
    targets = targets_for(alert, step.who, now=now, desk=desk)
    payload = alert_payload(alert, level, pol)
    rows: list[Notification] = []
    seen: set[tuple[str, str]] = set()
    for channel in step.channels:
        for target in targets:
            if channel == policy.IN_APP:
                if target.user_id is None:
                    continue
                address, ident = "", f"u{target.user_id}"
            elif channel == policy.EMAIL:
                address = target.email.strip()
                if not address:
                    continue
                ident = _digest(address.lower())
            else:
                address = normalise_phone(target.phone)
                if not address:
                    continue
                ident = _digest(address)
            if (channel, ident) in seen:
                continue
            seen.add((channel, ident))
            rows.append(
                Notification(
                    alert=alert,
                    level=level,
                    channel=channel,
                    recipient_id=target.user_id,
                    address=address,
                    idempotency_key=f"alert-{alert.pk}-{level}-{channel}-{ident}",
                    next_attempt_at=now,
                    created_at=now,
                    payload=payload,
                )
            )
    Notification.objects.bulk_create(rows)
    AlertEvent.objects.create(
        alert=alert,
        kind=event_kind,
        at=now,
        level=level,
        due_at=due_at,
        actor_id=actor_id,
        data={
            "who": step.who,
            "notifications": len(rows),
            "skipped_repeats": skipped_repeats,
        },
    )
    for row in rows:
        if row.channel == policy.IN_APP and row.recipient_id is not None:
            emitter.add(row.recipient_id, "alert", {**payload, "state": alert.state}, row)
    return len(rows)


def notify_state(alert: Alert, emitter: Emitter, *, kind: str = "alert_update") -> None:
    """Tell everyone who heard of the alert in the app (and the user who raised it) that its
    state changed, so their pages update and stop ringing."""
    users = set(
        Notification.objects.filter(
            alert=alert, channel=policy.IN_APP, recipient__isnull=False
        ).values_list("recipient_id", flat=True)
    )
    if alert.raised_by_id is not None:
        users.add(alert.raised_by_id)
    for user_id in sorted(u for u in users if u is not None):
        emitter.add(user_id, kind, {"alert": alert.pk, "state": alert.state, "level": alert.level})
