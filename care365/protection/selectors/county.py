"""What a county has set up for alerts: its escalation policy, duty shifts, help links."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from care365.accounts.models import User
from care365.areas.models import Area
from care365.carers.models import Organisation
from care365.protection import policy
from care365.protection.models import (
    Alert,
    DutyShift,
    EscalationPolicy,
    HelpLink,
    Source,
)
from care365.registry.models import Child


@dataclass(frozen=True)
class PolicyView:
    """A county's escalation policy as pages and the API show it (the default when the county
    has not saved one: `saved` is then False)."""

    county: Area
    steps: list[dict[str, Any]]
    repeat_seconds: int
    desk_phone: str
    desk_email: str
    sms_number: str
    desk_users: list[User]
    saved: bool
    updated_at: datetime | None


def escalation_policy_get(county: Area) -> PolicyView:
    """The county's escalation policy, or the default one if it has none."""
    row = EscalationPolicy.objects.filter(county=county).first()
    if row is None:
        default = policy.to_dict(policy.DEFAULT_POLICY)
        return PolicyView(
            county=county,
            steps=default["steps"],
            repeat_seconds=default["repeat_seconds"],
            desk_phone="",
            desk_email="",
            sms_number="",
            desk_users=[],
            saved=False,
            updated_at=None,
        )
    return PolicyView(
        county=county,
        steps=list(row.steps),
        repeat_seconds=row.repeat_seconds,
        desk_phone=row.desk_phone,
        desk_email=row.desk_email,
        sms_number=row.sms_number,
        desk_users=list(row.desk_users.order_by("username")),
        saved=True,
        updated_at=row.updated_at,
    )


def duty_shifts_now(station: Organisation, *, now: datetime | None = None) -> list[DutyShift]:
    """Who is on duty at a police station now (and the shifts still to come today)."""
    now = now or timezone.now()
    return list(
        DutyShift.objects.filter(station=station, ends_at__gt=now)
        .select_related("officer")
        .order_by("starts_at", "pk")
    )


def help_link_for_child(child: Child) -> HelpLink | None:
    """The child's active help link (its token is not stored: only a new link shows one)."""
    return HelpLink.objects.filter(child=child, revoked_at__isnull=True).first()


def help_link_find(token: str) -> HelpLink | None:
    """The active help link with this secret token, or None."""
    if not token or len(token) > 200:
        return None
    digest = hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
    return (
        HelpLink.objects.select_related("child", "child__village", "child__village__parent")
        .filter(token_hash=digest, revoked_at__isnull=True)
        .first()
    )


def help_link_requests(link: HelpLink, *, days: int = 30) -> list[Alert]:
    """The family's own recent requests (help link and SMS), for the help page's status list."""
    since = timezone.now() - timedelta(days=days)
    return list(
        Alert.objects.filter(
            child_id=link.child_id,
            source__in=[Source.HELP_LINK, Source.SMS],
            raised_at__gte=since,
        ).order_by("-raised_at", "-pk")[:20]
    )
