"""The escalation sweeper: due deadlines become escalation steps, each exactly once.

Every open alert has its next deadline in `Alert.next_step_at`. A sweep claims a batch of the
earliest due alerts (`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, so other workers take
other alerts; on SQLite the write transaction is IMMEDIATE, so sweeps are serialised), moves each
one level with a conditional update on (pk, level, state = open) and writes the steps'
notifications to the outbox and their events to the incident records in the same transaction,
then commits and claims the next batch. An alert still overdue after its move is claimed again,
so a sweep after downtime fires every overdue step (missed repeats of the last step collapse into
one: see policy.advance). A worker killed at any moment loses nothing: an uncommitted batch is
rolled back and its deadlines are still in the table.

A batch is written in a few statements whatever its size (steps.Emitter), and the people each
step reaches are looked up once per officer, station, village and county (recipients.Recipients),
so a storm of alerts costs little more per step than a single one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from care365.protection import policy
from care365.protection.models import Alert, AlertEvent, EscalationPolicy, State
from care365.protection.recipients import Recipients
from care365.protection.services.steps import Emitter, alert_policy, fire_step, logger

# Alerts moved per transaction: enough to write a storm's steps in few statements, few enough
# that a batch commits (and its notifications go out) within a fraction of a second.
BATCH = 50


@dataclass(frozen=True)
class _Moved:
    pk: int
    pol: policy.Policy
    move: policy.Move
    due: datetime


def _claim(now: datetime, limit: int) -> list[Alert]:
    return list(
        Alert.objects.select_for_update(skip_locked=True)
        .filter(state=State.OPEN, next_step_at__lte=now)
        .order_by("next_step_at", "pk")
        .only("pk", "level", "next_step_at", "policy")[:limit]
    )


def _move(alert: Alert, now: datetime) -> _Moved | None:
    """Move a claimed alert one level; None if it changed under us (it is then left alone)."""
    due = alert.next_step_at
    assert due is not None  # noqa: S101  # claimed by next_step_at <= now
    pol = alert_policy(alert)
    move = policy.advance(pol, alert.level, due, now)
    moved = Alert.objects.filter(pk=alert.pk, level=alert.level, state=State.OPEN).update(
        level=move.level, next_step_at=move.next_due
    )
    return _Moved(alert.pk, pol, move, due) if moved else None


def _step_batch(claimed: list[Alert], now: datetime) -> int:
    """Fire one step of each claimed alert; returns how many fired."""
    moves = [m for m in (_move(alert, now) for alert in claimed) if m is not None]
    if not moves:
        return 0
    # Related rows for the messages and the recipients (not joined in the locking query: a
    # FOR UPDATE cannot reach the nullable side of an outer join).
    alerts = Alert.objects.select_related(
        "village", "village__parent", "assigned_officer", "assigned_officer__organisation"
    ).in_bulk([m.pk for m in moves])
    desks = {
        row.county_id: row
        for row in EscalationPolicy.objects.filter(
            county_id__in={a.county_id for a in alerts.values()}
        )
    }
    emitter = Emitter(now)
    recipients = Recipients(now)
    unreachable: list[int] = []
    for m in moves:
        alert = alerts[m.pk]
        sent = fire_step(
            alert,
            m.pol,
            m.move.level,
            now=now,
            due_at=m.due,
            event_kind=AlertEvent.Kind.ESCALATED,
            actor_id=None,
            desk=desks.get(alert.county_id),
            emitter=emitter,
            recipients=recipients,
            skipped_repeats=m.move.repeats_skipped,
        )
        if sent == 0 and m.move.level < m.pol.last:
            unreachable.append(m.pk)
    if unreachable:
        # Nobody to reach at these steps: the next ones are due at once.
        Alert.objects.filter(pk__in=unreachable).update(next_step_at=now)
    emitter.flush()
    for m in moves:
        logger.info(
            "alert #%s escalated to level %s (%.3fs after its deadline)",
            m.pk,
            m.move.level,
            (now - m.due).total_seconds(),
        )
    return len(moves)


def escalation_sweep(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Fire every escalation step due at `now` (default: the current time); returns how many
    fired. Any number of workers may sweep at once: no step fires twice. `limit` bounds one
    sweep's work so a worker also gets on with its other duties."""
    now = now or timezone.now()
    fired = 0
    while fired < limit:
        with transaction.atomic():
            claimed = _claim(now, min(BATCH, limit - fired))
            if not claimed:
                break
            done = _step_batch(claimed, now)
        if not done:  # every claimed alert changed under us (cannot happen under the lock)
            break
        fired += done
    return fired
