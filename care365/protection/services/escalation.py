"""The escalation sweeper: due deadlines become escalation steps, each exactly once.

Every open alert has its next deadline in `Alert.next_step_at`. A sweep claims the earliest due
alert (`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, so other workers take other alerts; on
SQLite the write transaction is IMMEDIATE, so sweeps are serialised), moves it one level with a
conditional update on (pk, level, state = open) and writes that step's notifications to the
outbox and its event to the incident record in the same transaction, then commits and claims the
next. An alert still overdue after the move is claimed again, so a sweep after downtime fires
every overdue step, one transaction each (missed repeats of the last step collapse into one:
see policy.advance). A worker killed at any moment loses nothing: an uncommitted step is rolled
back and its deadline is still in the table.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from care365.protection import policy
from care365.protection.models import Alert, AlertEvent, EscalationPolicy, State

from .steps import Emitter, alert_policy, fire_step, logger


def _claim(now: datetime) -> Alert | None:
    return (
        Alert.objects.select_for_update(skip_locked=True)
        .filter(state=State.OPEN, next_step_at__lte=now)
        .order_by("next_step_at", "pk")
        .first()
    )


def _step(alert: Alert, now: datetime) -> bool:
    """Move a claimed alert one level; False if it changed under us (it is then left alone)."""
    due = alert.next_step_at
    assert due is not None  # noqa: S101  # claimed by next_step_at <= now
    pol = alert_policy(alert)
    move = policy.advance(pol, alert.level, due, now)
    moved = Alert.objects.filter(pk=alert.pk, level=alert.level, state=State.OPEN).update(
        level=move.level, next_step_at=move.next_due
    )
    if not moved:
        return False
    alert.level, alert.next_step_at = move.level, move.next_due
    # Related rows for the message and the recipients (not joined in the locking query: a
    # FOR UPDATE cannot reach the nullable side of an outer join).
    fresh = Alert.objects.select_related(
        "village", "village__parent", "assigned_officer", "assigned_officer__organisation"
    ).get(pk=alert.pk)
    desk = EscalationPolicy.objects.filter(county_id=fresh.county_id).first()
    emitter = Emitter(now)
    sent = fire_step(
        fresh,
        pol,
        move.level,
        now=now,
        due_at=due,
        event_kind=AlertEvent.Kind.ESCALATED,
        actor_id=None,
        desk=desk,
        emitter=emitter,
        skipped_repeats=move.repeats_skipped,
    )
    if sent == 0 and move.level < pol.last:
        # Nobody to reach at this step: the next one is due at once.
        Alert.objects.filter(pk=alert.pk).update(next_step_at=now)
    emitter.flush()
    late = (now - due).total_seconds()
    logger.info(
        "alert #%s escalated to level %s (%.3fs after its deadline)", alert.pk, move.level, late
    )
    return True


def escalation_sweep(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Fire every escalation step due at `now` (default: the current time); returns how many
    fired. Any number of workers may sweep at once: no step fires twice. `limit` bounds one
    sweep's work so a worker also gets on with its other duties."""
    now = now or timezone.now()
    fired = 0
    for _attempt in range(limit):
        with transaction.atomic():
            alert = _claim(now)
            if alert is None:
                break
            if _step(alert, now):
                fired += 1
    return fired
