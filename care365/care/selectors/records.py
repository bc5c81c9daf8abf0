"""Reads of contacts, examinations, screenings, care tasks and the risk list.

A child passed in must come from the access layer (`child_get_for_user`, which logs the read).
Health data (examinations, growth, screenings, referral tasks, the risk list) is for doctors and
the registry's keepers only: for anyone else these selectors return nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet

from care365.accounts.access import (
    children_for_user,
    children_for_user_filter,
)
from care365.accounts.models import REGISTRY_ROLES, User
from care365.care.access import (
    account,
    health_sessions_visible,
    sees_health,
    visible_contact_kinds,
)
from care365.care.growth import DAYS_PER_MONTH
from care365.care.models import Contact, Examination, HealthSession, RiskScore, Screening
from care365.registry.models import Child

# --- contacts --------------------------------------------------------------------------------


def contacts_for_child(user: User, child: Child, *, limit: int = 50) -> QuerySet[Contact]:
    """A child's contact log, newest first, in the kinds the user's role may read."""
    kinds = visible_contact_kinds(user)
    return (
        Contact.objects.filter(child=child, kind__in=sorted(kinds))
        .select_related("logged_by", "carer")
        .order_by("-occurred_at", "-pk")[:limit]
    )


def contacts_logged_by(user: User, *, since: date | None = None) -> QuerySet[Contact]:
    """What the user logged (their own history), newest first."""
    acc = account(user)
    if acc is None:
        return Contact.objects.none()
    qs = Contact.objects.filter(logged_by=acc)
    if since is not None:
        qs = qs.filter(occurred_on__gte=since)
    return qs.select_related("child", "child__village").order_by("-occurred_at", "-pk")


def contacts_needing_follow_up(user: User, *, since: date | None = None) -> QuerySet[Contact]:
    """Contacts marked "follow-up needed" for children the user may see, in the kinds the user's
    role may read, newest first."""
    acc = account(user)
    if acc is None:
        return Contact.objects.none()
    qs = Contact.objects.filter(
        child__in=children_for_user(acc).values("pk"),
        kind__in=sorted(visible_contact_kinds(acc)),
        follow_up_needed=True,
    )
    if since is not None:
        qs = qs.filter(occurred_on__gte=since)
    return qs.select_related("child", "child__village", "logged_by").order_by("-occurred_at", "-pk")


# --- health ----------------------------------------------------------------------------------


def examinations_for_child(user: User, child: Child) -> QuerySet[Examination]:
    if not sees_health(user):
        return Examination.objects.none()
    return (
        Examination.objects.filter(child=child)
        .select_related("doctor")
        .order_by("-examined_on", "-pk")
    )


@dataclass(frozen=True)
class GrowthPoint:
    """One examination on the growth chart, against the WHO curves."""

    examined_on: date
    age_months: float
    height_cm: float | None
    weight_kg: float | None
    bmi: float | None
    zhfa: float | None
    zwfa: float | None
    zbfa: float | None
    flags: tuple[str, ...]
    classes: tuple[str, ...]


def growth_points(user: User, child: Child) -> list[GrowthPoint]:
    """The child's examinations, oldest first, as points for the growth chart."""
    return [
        GrowthPoint(
            examined_on=e.examined_on,
            age_months=round(e.age_days / DAYS_PER_MONTH, 2),
            height_cm=None if e.height_cm is None else float(e.height_cm),
            weight_kg=None if e.weight_kg is None else float(e.weight_kg),
            bmi=e.bmi,
            zhfa=e.zhfa,
            zwfa=e.zwfa,
            zbfa=e.zbfa,
            flags=tuple(e.growth_flags),
            classes=tuple(e.growth_classes),
        )
        for e in examinations_for_child(user, child).order_by("examined_on", "pk")
    ]


def health_sessions_for_user(user: User) -> QuerySet[HealthSession]:
    """Health education sessions the user sees (`access.health_sessions_visible`): a doctor's
    own, and for the registry's keepers those they recorded, held in their area or attended by
    a child of their area."""
    return (
        health_sessions_visible(user)
        .select_related("area", "doctor", "school")
        .order_by("-held_on", "-pk")
    )


# --- screenings and tasks --------------------------------------------------------------------


def screenings_for_child(user: User, child: Child) -> QuerySet[Screening]:
    if not sees_health(user):
        return Screening.objects.none()
    return Screening.objects.filter(child=child).order_by("-screened_on", "-pk")


# --- the risk list ---------------------------------------------------------------------------


def risk_list(user: User, *, on_list_only: bool = True) -> QuerySet[RiskScore]:
    """The risk list of the user's area, highest first, each with its reasons. For directors,
    supervisors and county administrators (the reasons include health and screening)."""
    acc = account(user)
    if acc is None or acc.role not in REGISTRY_ROLES:
        return RiskScore.objects.none()
    # The scope on the score's own copy of the child's village, which leads the table's index
    # (village, on the list, score): a village's list reads its own rows, a county's the rows
    # on the list, without building the set of the scope's children on each request and
    # without joining the children. The copy moves with the child in the move's transaction,
    # and only a child in the registry has a score (the exit drops it): services/risk.py.
    # "On the list" is written as an IN, an equality the planner can use on the index (a bare
    # boolean column is not one).
    qs = RiskScore.objects.filter(
        children_for_user_filter(acc, child="child", village="village", village_kept=True)
    )
    qs = qs.filter(on_list__in=[True]) if on_list_only else qs.filter(score__gt=0)
    return qs.select_related("child", "child__village").order_by("-score", "child_id")


def risk_for_child(user: User, child: Child) -> RiskScore | None:
    acc = account(user)
    if acc is None or acc.role not in REGISTRY_ROLES:
        return None
    return RiskScore.objects.filter(child=child).first()
