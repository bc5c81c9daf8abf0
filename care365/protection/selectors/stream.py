"""The in-app event stream, and the workers' health."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Min
from django.utils import timezone

from care365.accounts.models import User
from care365.core.models import WorkerHeartbeat
from care365.protection.access import active_account
from care365.protection.models import (
    Alert,
    InAppEvent,
    InAppStream,
)

SWEEPER_SILENT_AFTER = timedelta(seconds=30)


def events_for_user_since(user: User, last_id: int, *, limit: int = 100) -> list[InAppEvent]:
    """The user's in-app events after event number `last_id` (an SSE Last-Event-ID), oldest
    first. Numbers are per user and consecutive, so nothing after `last_id` is skipped."""
    account = active_account(user)
    if account is None:
        return []
    return list(
        InAppEvent.objects.filter(user=account, seq__gt=max(last_id, 0)).order_by("seq")[:limit]
    )


def events_last_id(user: User) -> int:
    """The number of the user's latest event (0 if none): where a fresh stream starts."""
    account = active_account(user)
    if account is None:
        return 0
    last = InAppStream.objects.filter(user=account).values_list("last_seq", flat=True).first()
    return int(last or 0)


def next_escalation_at() -> datetime | None:
    """The earliest deadline of any open alert: how long a worker may sleep."""
    first: datetime | None = Alert.objects.filter(next_step_at__isnull=False).aggregate(
        first=Min("next_step_at")
    )["first"]
    return first


def sweeper_last_seen() -> datetime | None:
    """When any worker last swept."""
    beat = WorkerHeartbeat.objects.order_by("-last_seen").values_list("last_seen", flat=True)
    return beat.first()


def sweeper_healthy(now: datetime | None = None) -> bool:
    """Whether some worker has swept in the last 30 seconds."""
    now = now or timezone.now()
    return WorkerHeartbeat.objects.filter(last_seen__gte=now - SWEEPER_SILENT_AFTER).exists()
