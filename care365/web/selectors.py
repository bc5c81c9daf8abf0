"""Figures for the home pages. Every count starts from the access layer and is one aggregate
query, never a loop over children."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet

from care365.accounts.access import carers_for_user, children_for_user, children_for_user_filter
from care365.accounts.models import User
from care365.accounts.selectors import carers_in_area
from care365.areas.models import Area
from care365.carers.models import CarerRole
from care365.insights import selectors as insights
from care365.insights.services import CARERS, CARERS_SERVING
from care365.registry.models import Child, DuplicateFlag, StatusKind, status_kinds_of


@dataclass
class Figure:
    key: str
    label: str
    count: int
    area_id: int | None = None


@dataclass
class Overview:
    active: int
    by_status: list[Figure]
    by_area: list[Figure] = field(default_factory=list)
    carers_by_role: list[Figure] = field(default_factory=list)
    open_duplicates: int = 0


def _active(user: User) -> QuerySet[Child]:
    return children_for_user(user).filter(exited_on__isnull=True)


def status_counts(user: User) -> list[Figure]:
    """Open statuses of the user's active children, one figure per kind (zeros included), from
    the copy of each child's open statuses on their row (`Child.open_statuses`): one pass over
    the list's own index, where joining the statuses took 50 ms for a village of 9,000."""
    rows = Counter[str]()
    for bits, n in _active(user).order_by().values_list("open_statuses").annotate(n=Count("id")):
        for kind in status_kinds_of(bits):
            rows[kind] += n
    return [Figure(kind.value, str(kind.label), rows[kind.value]) for kind in StatusKind]


def area_counts(user: User, areas: list[Area], *, level: str) -> list[Figure]:
    """Active children per township (level="township") or per village (level="village")."""
    key = "village__parent_id" if level == Area.Level.TOWNSHIP else "village_id"
    rows = dict(_active(user).values_list(key).annotate(n=Count("id")).values_list(key, "n"))
    return [Figure(a.code, a.name, rows.get(a.pk, 0), area_id=a.pk) for a in areas]


def open_duplicates(user: User) -> QuerySet[DuplicateFlag]:
    """Open possible duplicates among the children the user may see."""
    return (
        DuplicateFlag.objects.filter(
            children_for_user_filter(user), resolution=DuplicateFlag.Resolution.OPEN
        )
        .select_related("child__village", "other__village")
        .order_by("flagged_at", "pk")
    )


def overview(user: User) -> Overview:
    """The figures a county administrator or a township supervisor starts the day with: the
    active children counted from the registry's index as the children list counts them (up to
    its cap; beyond it, the roll-ups' figure), their statuses and the areas one level down from
    the insights' roll-ups (never a count over every child: docs/insights.md), the carers and
    the open duplicates."""
    area = user.area
    if area is None:
        return Overview(active=_active(user).count(), by_status=status_counts(user))
    figures = insights.read(area)
    result = Overview(
        active=insights.live_children(area, figures.get("children")),
        by_status=[
            Figure(kind.value, str(kind.label), figures.get("status", kind.value))
            for kind in StatusKind
        ],
    )
    result.by_area = [
        Figure(part.code, part.name, f.get("children"), area_id=part.pk)
        for part, f in insights.read_parts(area)
    ]
    result.carers_by_role = carer_counts(user, area, figures)
    result.open_duplicates = open_duplicates(user).count()
    return result


def carer_counts(user: User, area: Area, figures: insights.Figures) -> list[Figure]:
    """Active carers per role: the county's for a county, a township's (of an organisation in
    the township, or serving an area in it: as the carers list's area filter finds them) for a
    township, both from the roll-ups (a county of a province's size holds 200,000 carers, a
    township 23,000). Each figure carries the area its count is of, for the link to the list."""
    if area.level == Area.Level.COUNTY:
        roles = figures.by(CARERS)
    elif area.level == Area.Level.TOWNSHIP:
        roles = figures.by(CARERS_SERVING)
    else:
        roles = dict(
            carers_in_area(carers_for_user(user).filter(active=True), area)
            .order_by()
            .values_list("role")
            .annotate(n=Count("id"))
            .values_list("role", "n")
        )
    area_id = None if area.level == Area.Level.COUNTY else area.pk
    return [
        Figure(r.value, str(r.label), roles.get(r.value, 0), area_id=area_id) for r in CarerRole
    ]
