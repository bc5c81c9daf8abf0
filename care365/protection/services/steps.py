"""Firing escalation steps and writing in-app events: shared by raising and by the sweeper.

A transaction collects what it writes about alerts in an `Emitter` and writes it all in `flush`,
a few statements however many alerts, people and steps it covers: the step's notifications (the
outbox rows), the alert's recorded steps (the child's incident record) and the in-app events. An
in-app notification is delivered in that same transaction (an in-app event is a row in the same
database), so it is written as sent: the recipient's open page hears of the alert the moment the
transaction commits, and on PostgreSQL a NOTIFY on channel `care365_events` (payload: the user's
id) wakes the page's event stream at that commit (and, in the writing process itself, `wakeups`
does at once). Email and SMS rows wait for the outbox.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import F

from care365.areas.models import Area
from care365.core import crypto
from care365.protection import policy, wakeups
from care365.protection.channels import normalise_phone
from care365.protection.models import (
    Alert,
    AlertEvent,
    EscalationPolicy,
    InAppEvent,
    InAppStream,
    Notification,
)
from care365.protection.recipients import Recipients, Target

logger = logging.getLogger("care365.protection")

PG_NOTIFY_CHANNEL = "care365_events"
EventKind = AlertEvent.Kind
NState = Notification.State


def county_of(area: Area) -> Area:
    """The county an area belongs to."""
    while area.level != Area.Level.COUNTY and area.parent is not None:
        area = area.parent
    return area


def county_id_of(area: Area) -> int:
    """The id of the county an area belongs to, from the rows loaded with it: a village's
    township (`select_related("village__parent")`) holds its county's id, so no row is read."""
    if area.level == Area.Level.COUNTY:
        return area.pk
    if area.level == Area.Level.TOWNSHIP and area.parent_id is not None:
        return area.parent_id
    township = area.parent
    if township is not None and township.parent_id is not None:
        return township.parent_id
    return county_of(area).pk


def policy_for(county_id: int) -> tuple[policy.Policy, EscalationPolicy | None]:
    """The county's policy (the default when it has none) and its row, for the desk contacts.

    A stored policy is validated when saved; should one still not parse, an alert must not fail
    for it, so the default applies and the error is logged.
    """
    row = EscalationPolicy.objects.filter(county_id=county_id).first()
    if row is None:
        return policy.DEFAULT_POLICY, None
    try:
        return row.as_policy(), row
    except policy.PolicyError:
        logger.exception("escalation policy of county #%s is invalid; using the default", county_id)
        return policy.DEFAULT_POLICY, row


def alert_policy(alert: Alert) -> policy.Policy:
    """The policy an alert escalates by: the one it was raised under."""
    try:
        return policy.parse(alert.policy)
    except policy.PolicyError:
        logger.exception("alert #%s carries an invalid policy; using the default", alert.pk)
        return policy.DEFAULT_POLICY


def _advance_streams(per_user: dict[int, int]) -> dict[int, int]:
    """Add `per_user[u]` to each user's event counter (creating it at 0) and return the new
    counters: one upsert, rows taken in user-id order, so two transactions never wait for each
    other in a cycle, and a user's events commit in the order of their numbers."""
    meta = InAppStream._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    user_col = quote("user_id")  # the primary key (a one-to-one with the user)
    seq_col = quote("last_seq")
    users = sorted(per_user)
    values = ", ".join(["(%s, %s)"] * len(users))
    sql = (
        f"INSERT INTO {table} ({user_col}, {seq_col}) VALUES {values} "  # noqa: S608  # names from _meta
        f"ON CONFLICT ({user_col}) DO UPDATE "
        f"SET {seq_col} = {table}.{seq_col} + excluded.{seq_col} "
        f"RETURNING {user_col}, {seq_col}"
    )
    params = [value for user_id in users for value in (user_id, per_user[user_id])]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {int(user_id): int(last) for user_id, last in cursor.fetchall()}


@dataclass
class Emitter:
    """What one transaction writes about alerts, written together in `flush`: notifications to
    queue, recorded steps, and in-app events.

    Each user's events are numbered under the lock of the user's stream row (see
    `_advance_streams`), so a stream resumed after event n never misses one.
    """

    now: datetime
    notifications: list[Notification] = field(default_factory=list)
    alert_events: list[AlertEvent] = field(default_factory=list)
    items: list[tuple[int, str, dict[str, Any], Notification | None]] = field(default_factory=list)
    # What the last flush wrote: the recorded steps and the notifications (as `Alert.written`).
    written: tuple[list[AlertEvent], list[Notification]] = field(default_factory=lambda: ([], []))

    def add(
        self,
        user_id: int,
        kind: str,
        data: dict[str, Any],
        notification: Notification | None = None,
    ) -> None:
        """An in-app event for the user; with `notification`, that in-app row is delivered."""
        self.items.append((user_id, kind, data, notification))

    def record(self, event: AlertEvent) -> None:
        """A step of an alert's record."""
        self.alert_events.append(event)

    def queue(self, row: Notification, event_data: dict[str, Any] | None = None) -> None:
        """A notification to write; an in-app one is delivered with it (`event_data`)."""
        self.notifications.append(row)
        if row.channel == policy.IN_APP and row.recipient_id is not None:
            self.add(row.recipient_id, "alert", event_data or dict(row.payload), row)

    def flush(self) -> list[InAppEvent]:
        if self.notifications:
            Notification.objects.bulk_create(self.notifications)
        queued = {id(n) for n in self.notifications}
        events: list[InAppEvent] = []
        delivered: list[Notification] = []
        if self.items:
            per_user = Counter(user_id for user_id, _k, _d, _n in self.items)
            last = _advance_streams(dict(per_user))
            next_seq = {u: last[u] - count + 1 for u, count in per_user.items()}
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
            # Rows queued here were written as sent; one queued earlier is marked now.
            earlier = [n.pk for n in delivered if id(n) not in queued]
            if earlier:
                Notification.objects.filter(
                    pk__in=earlier, state__in=[NState.PENDING, NState.SENDING]
                ).update(
                    state=NState.SENT,
                    sent_at=self.now,
                    next_attempt_at=None,
                    attempts=F("attempts") + 1,
                    last_error="",
                )
        recorded = self.alert_events + [
            AlertEvent(
                alert_id=n.alert_id,
                kind=EventKind.NOTIFICATION_SENT,
                at=self.now,
                level=n.level,
                notification=n,
                data={"channel": n.channel},
            )
            for n in delivered
            if n.alert_id is not None  # in-app notifications are always an alert's
        ]
        if recorded:
            AlertEvent.objects.bulk_create(recorded)
        self.written = (recorded, self.notifications)
        if self.items:
            # This process's open streams of these users wake at the commit (wakeups.py).
            woken = frozenset(user_id for user_id, _k, _d, _n in self.items)
            transaction.on_commit(lambda: wakeups.publish(woken))
        if self.items and connection.vendor == "postgresql":
            users = sorted({str(user_id) for user_id, _k, _d, _n in self.items})
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_notify(%s, u) FROM unnest(%s::text[]) AS u",
                    [PG_NOTIFY_CHANNEL, users],
                )
        self.notifications, self.alert_events, self.items = [], [], []
        return events


def _digest(value: str) -> str:
    """An address's part of a notification's idempotency key: keyed (CARE365_HASH_KEY), since the
    key is stored in clear beside the encrypted address and a bare SHA-256 of a phone number is
    reversed by trying every number."""
    return crypto.lookup_hash(f"notification-address:{value}")[:16]


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


@dataclass(frozen=True)
class Message:
    """One message a step sends: through `channel` to a user (in the app) or an address.
    `ident` tells recipients apart in the idempotency key without putting an address in it."""

    channel: str
    user_id: int | None
    address: str
    ident: str


def step_messages(step: policy.Step, targets: list[Target]) -> list[Message]:
    """The messages of a step to its targets, each (channel, recipient) once."""
    messages: list[Message] = []
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
            messages.append(Message(channel, target.user_id, address, ident))
    return messages


def queue_step(
    alert: Alert,
    pol: policy.Policy,
    level: int,
    messages: list[Message],
    *,
    now: datetime,
    due_at: datetime | None,
    event_kind: str,
    actor_id: int | None,
    emitter: Emitter,
    skipped_repeats: int = 0,
) -> int:
    """Queue a step's messages for `alert` (saved) and record the step; returns how many."""
    payload = alert_payload(alert, level, pol)
    for message in messages:
        in_app = message.channel == policy.IN_APP
        row = Notification(
            alert=alert,
            level=level,
            channel=message.channel,
            recipient_id=message.user_id,
            address=message.address,
            idempotency_key=f"alert-{alert.pk}-{level}-{message.channel}-{message.ident}",
            created_at=now,
            payload=payload,
            # An in-app message is delivered in this transaction (Emitter.flush).
            state=NState.SENT if in_app else NState.PENDING,
            attempts=1 if in_app else 0,
            sent_at=now if in_app else None,
            next_attempt_at=None if in_app else now,
        )
        emitter.queue(row, {**payload, "state": alert.state})
    emitter.record(
        AlertEvent(
            alert=alert,
            kind=event_kind,
            at=now,
            level=level,
            due_at=due_at,
            actor_id=actor_id,
            data={
                "who": pol.step_at(level).who,
                "notifications": len(messages),
                "skipped_repeats": skipped_repeats,
            },
        )
    )
    return len(messages)


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
    recipients: Recipients,
    skipped_repeats: int = 0,
) -> int:
    """Queue the notifications of `level` for `alert` and record the step; returns how many
    notifications were queued (0: nobody could be reached at this step)."""
    step = pol.step_at(level)
    messages = step_messages(step, recipients.targets(alert, step.who, desk=desk))
    return queue_step(
        alert,
        pol,
        level,
        messages,
        now=now,
        due_at=due_at,
        event_kind=event_kind,
        actor_id=actor_id,
        emitter=emitter,
        skipped_repeats=skipped_repeats,
    )


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
