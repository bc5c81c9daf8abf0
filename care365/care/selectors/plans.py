"""Visit plans read from the tables: what is due for whom, and the 365 figure.

Both work from a few aggregate queries per batch of children (the last contact per child and
kind, the last examination per child, the county settings), never a query per child; the date
arithmetic is the pure code in care/plans.py."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, overload

from django.db.models import Exists, F, Max, OuterRef, QuerySet, Subquery
from django.utils import timezone

from care365.accounts.access import areas_for_user, children_for_user, scope_village_ids
from care365.accounts.models import REGISTRY_ROLES, User
from care365.accounts.selectors import capped_count
from care365.areas.models import Area
from care365.care import plans
from care365.care.access import (
    PLAN_CARER_ROLE,
    RESPONSIBLE,
    account,
    responsible_children,
    sees_health,
    visible_contact_kinds,
)
from care365.care.models import (
    CONTACT_PLAN_KINDS,
    CareSettings,
    Contact,
    Examination,
    PlanDue,
    PlanKind,
    RiskScore,
)
from care365.care.selectors.scope import care_settings_many
from care365.pairing.models import Pairing
from care365.registry.models import Child, Consent, ConsentPurpose, Parent, ParentSituation


@dataclass(frozen=True)
class DueItem:
    """One planned kind for one child: when it is due and how late it is.

    `days_overdue` is today minus the due date: 0 when due today, negative when not yet due."""

    child: Child
    kind: str
    due_on: date
    days_overdue: int
    last_on: date | None  # the last contact or examination of this kind
    interval_days: int | None  # None for examinations (they follow the schedule)
    tightened: bool  # the interval was tightened because the child is on the risk list

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0


def _registered_on(child: Child) -> date:
    return timezone.localdate(child.registered_at)


def _with_plan_facts(children: QuerySet[Child], kinds: Collection[str]) -> QuerySet[Child]:
    """Children with what their plan depends on, annotated in the same query."""
    annotations: dict[str, Any] = {
        "plan_county": F("village__parent__parent_id"),
        "plan_on_risk_list": Exists(RiskScore.objects.filter(child=OuterRef("pk"), on_list=True)),
    }
    if PlanKind.PARENT_CONTACT in kinds:
        annotations["plan_parents_away"] = Exists(
            Parent.objects.filter(child=OuterRef("pk"), situation=ParentSituation.AWAY_FOR_WORK)
        )
    if PlanKind.VOLUNTEER_VISIT in kinds:
        annotations["plan_volunteer_consent"] = Exists(
            Consent.objects.filter(
                child=OuterRef("pk"), purpose=ConsentPurpose.VOLUNTEER, withdrawn_on__isnull=True
            )
        )
    for kind in kinds:
        role = PLAN_CARER_ROLE.get(kind)
        if role is not None:
            annotations[f"plan_since_{role}"] = Subquery(
                Pairing.objects.filter(child=OuterRef("pk"), role=role, until__isnull=True)
                .order_by("-since")
                .values("since")[:1]
            )
    return children.select_related("village").annotate(**annotations)


def planned(child: Any, kind: str) -> bool:
    """Whether a child's plan holds `kind`: a volunteer's visits while the guardian consents to
    a volunteer, the parents' contact while a parent is away for work, the rest always."""
    if kind == PlanKind.VOLUNTEER_VISIT:
        return bool(child.plan_volunteer_consent)
    if kind == PlanKind.PARENT_CONTACT:
        return bool(child.plan_parents_away)
    return True


# Up to this many children, the facts of a plan are read for their ids as a list (on
# PostgreSQL one array, core/lookups.py) rather than a subquery: the planner counts a list's
# elements, and for a subquery it chose to scan a whole table (every parent, to find a chunk's
# 2,000 children's: 65 against 1.6 ms at 300,000 children, and growing with the registry).
# Above it (a village's plan for the dashboards' figures), a subquery keeps the statement short.
IDS_AS_LIST = 5000

ChildIds = Collection[int] | QuerySet[Any]


def last_contacts(ids: ChildIds, kinds: Iterable[str]) -> dict[tuple[int, str], date]:
    """(child, kind) -> the day of the last contact of that kind, in one grouped query."""
    rows = (
        Contact.objects.filter(child__in=ids, kind__in=list(kinds))
        .order_by()
        .values("child_id", "kind")
        .annotate(last=Max("occurred_on"))
        .values_list("child_id", "kind", "last")
    )
    return {(child_id, kind): last for child_id, kind, last in rows}


def last_examinations(ids: ChildIds) -> dict[int, date]:
    rows = (
        Examination.objects.filter(child__in=ids)
        .order_by()
        .values("child_id")
        .annotate(last=Max("examined_on"))
        .values_list("child_id", "last")
    )
    return dict(rows)


@dataclass(frozen=True)
class _PlanFacts:
    """What the plans of a set of children depend on besides the children's own rows, each read
    in one query over the set (`plan_status`): the same facts `_with_plan_facts` annotates per
    child, without a correlated subquery per child and kind."""

    on_risk_list: frozenset[int]
    parents_away: frozenset[int]
    volunteer_consent: frozenset[int]
    since: dict[str, dict[int, date]]  # carer role -> child -> the open pairing's start


def _plan_facts(
    ids: ChildIds, kinds: Collection[str], *, tighten: bool, new: bool = False
) -> _PlanFacts:
    """With `new`, only the parents are read: children registered in the caller's transaction
    have no pairing, risk score or consent yet (`plan_status`)."""

    def child_ids(rows: QuerySet[Any]) -> frozenset[int]:
        return frozenset(rows.filter(child__in=ids).order_by().values_list("child_id", flat=True))

    since: dict[str, dict[int, date]] = {}
    for kind in kinds:
        role = PLAN_CARER_ROLE.get(kind)
        if role is not None and new:
            since[role] = {}
        elif role is not None and role not in since:
            # The latest start of the child's open pairings of the role, as `_with_plan_facts`.
            since[role] = dict(
                Pairing.objects.filter(child__in=ids, role=role, until__isnull=True)
                .order_by()
                .values("child_id")
                .annotate(latest=Max("since"))
                .values_list("child_id", "latest")
            )
    return _PlanFacts(
        on_risk_list=(
            child_ids(RiskScore.objects.filter(on_list=True))
            if tighten and not new
            else frozenset()
        ),
        parents_away=(
            child_ids(Parent.objects.filter(situation=ParentSituation.AWAY_FOR_WORK))
            if PlanKind.PARENT_CONTACT in kinds
            else frozenset()
        ),
        volunteer_consent=(
            child_ids(
                Consent.objects.filter(purpose=ConsentPurpose.VOLUNTEER, withdrawn_on__isnull=True)
            )
            if PlanKind.VOLUNTEER_VISIT in kinds and not new
            else frozenset()
        ),
        since=since,
    )


def plan_status(
    children: QuerySet[Child],
    kinds: Collection[str],
    today: date,
    *,
    tighten: bool = True,
    new: bool = False,
) -> list[DueItem]:
    """Every planned kind of every child in `children` (due or not), in a fixed number of
    queries. With `tighten`, children on the risk list get their county's tightened intervals.
    With `new`, the children were registered in the caller's transaction: nothing but their
    parents is read besides them (no contact, examination, pairing, consent or risk score can
    be theirs yet), which is most of an import's time otherwise.

    The rule per child and kind is `planned` and `_due_rule`'s (the 365 figure's); here the
    facts are read per set of children (`_plan_facts`) rather than annotated per child, since
    a county administrator's due list works out the plan of every child of the county."""
    kinds = [k for k in PlanKind.values if k in kinds]
    if not kinds:
        return []
    rows = list(children.annotate(plan_county=F("village__parent__parent_id")))
    if not rows:
        return []
    ids: ChildIds = (
        [row.pk for row in rows] if len(rows) <= IDS_AS_LIST else children.order_by().values("pk")
    )
    facts = _plan_facts(ids, kinds, tighten=tighten, new=new)
    contact_kinds = [k for k in kinds if k in CONTACT_PLAN_KINDS]
    lasts = last_contacts(ids, contact_kinds) if contact_kinds and not new else {}
    exams = last_examinations(ids) if PlanKind.EXAMINATION in kinds and not new else {}
    county_settings = care_settings_many(getattr(row, "plan_county", None) for row in rows)
    # Each kind's interval per county, usual and tightened, worked out once.
    intervals = {
        (county, kind, tight): settings.interval(kind, on_risk_list=tight)
        for county, settings in county_settings.items()
        for kind in contact_kinds
        for tight in (False, True)
    }
    local = timezone.get_current_timezone()
    roles = [(kind, PLAN_CARER_ROLE.get(kind)) for kind in kinds]
    items: list[DueItem] = []
    append = items.append
    for child in rows:
        pk = child.pk
        county = child.plan_county
        on_list = pk in facts.on_risk_list
        registered = child.registered_at.astimezone(local).date()
        for kind, role in roles:
            if kind == PlanKind.VOLUNTEER_VISIT and pk not in facts.volunteer_consent:
                continue
            if kind == PlanKind.PARENT_CONTACT and pk not in facts.parents_away:
                continue
            since = facts.since[role].get(pk) if role else None
            start = since or registered
            if kind == PlanKind.EXAMINATION:
                last = exams.get(pk)
                due = plans.exam_next_due(birth=child.birth_date, last=last, start=start)
                interval = None
                tight = False
            else:
                last = lasts.get((pk, kind))
                interval = intervals[county, kind, on_list]
                tight = on_list and interval != intervals[county, kind, False]
                due = plans.contact_next_due(last=last, start=start, interval=interval)
            append(
                DueItem(
                    child=child,
                    kind=kind,
                    due_on=due,
                    days_overdue=(today - due).days,
                    last_on=last,
                    interval_days=interval,
                    tightened=tight,
                )
            )
    return items


class DueList(Sequence[DueItem]):
    """A user's due items, read from the stored next-due dates (`PlanDue`) in the due lists'
    order: most overdue first, then by kind and child. Nothing is read until asked: `count()`
    and `overdue_count()` are counts in the database, a slice is one page of rows (what a
    paginator asks for), iterating reads the rows a chunk at a time. The items' children carry
    their id and village only: `due_for_display` reads the shown ones in full."""

    def __init__(self, rows: QuerySet[PlanDue], today: date) -> None:
        self._rows = rows
        self._today = today
        self._count: int | None = None

    def _ordered(self) -> QuerySet[PlanDue]:
        return self._rows.order_by("due_on", "kind", "child_id")

    def _item(self, row: tuple[Any, ...]) -> DueItem:
        child_id, village_id, kind, due_on, last_on, interval, tight = row
        return DueItem(
            child=Child(pk=child_id, village_id=village_id),
            kind=kind,
            due_on=due_on,
            days_overdue=(self._today - due_on).days,
            last_on=last_on,
            interval_days=interval,
            tightened=tight,
        )

    def _values(self) -> QuerySet[PlanDue, tuple[Any, ...]]:
        return self._ordered().values_list(*_DUE_COLUMNS)

    def count(self) -> int:  # type: ignore[override]  # the paginator's count(), not list.count
        if self._count is None:
            self._count = self._rows.count()
        return self._count

    def overdue_count(self) -> int:
        """How many of the items are overdue (due before today)."""
        return self._rows.filter(due_on__lt=self._today).count()

    def capped_count(self, cap: int | None = None) -> tuple[int, bool]:
        """(count, exact) as `accounts.selectors.capped_count`: a county's list holds hundreds
        of thousands of items, and counting them all costs more than the page shown."""
        return capped_count(self._rows, cap)

    def overdue_capped_count(self, cap: int | None = None) -> tuple[int, bool]:
        """`overdue_count` exact up to the cap, as `capped_count`."""
        return capped_count(self._rows.filter(due_on__lt=self._today), cap)

    def __len__(self) -> int:
        return self.count()

    @overload
    def __getitem__(self, index: int) -> DueItem: ...

    @overload
    def __getitem__(self, index: slice) -> list[DueItem]: ...

    def __getitem__(self, index: int | slice) -> DueItem | list[DueItem]:
        if isinstance(index, slice):
            if index.step not in (None, 1) or (index.start or 0) < 0 or (index.stop or 0) < 0:
                return list(self)[index]
            return [self._item(row) for row in self._values()[index]]
        if index < 0:
            index += len(self)
        found = list(self._values()[index : index + 1])
        if index < 0 or not found:
            raise IndexError(index)
        return self._item(found[0])

    def __iter__(self) -> Iterator[DueItem]:
        for row in self._values().iterator(chunk_size=2000):
            yield self._item(row)


_DUE_COLUMNS = (
    "child_id",
    "village_id",
    "kind",
    "due_on",
    "last_on",
    "interval_days",
    "tightened",
)


def due_list_for_user(
    user: User, today: date, *, within_days: int = 0, kinds: Collection[str] | None = None
) -> DueList:
    """What the user should do, as `due_for_user` gives it, read lazily from the stored
    next-due dates: the pages, the API and the homes count it and read one page of it in the
    database, whatever the number of children in the user's scope.

    The scope is `responsible_children`'s: for an area's director, supervisor or county
    administrator the rows of their villages (the rows' own copy of the child's village, by its
    index); for a carer the rows of the children paired with them. Only active children have
    rows."""
    acc = account(user)
    if acc is None:
        return DueList(PlanDue.objects.none(), today)
    mine = RESPONSIBLE.get(acc.role, frozenset())
    wanted = mine if kinds is None else mine & set(kinds)
    if not wanted:
        return DueList(PlanDue.objects.none(), today)
    rows = PlanDue.objects.filter(due_on__lte=today + timedelta(days=within_days))
    if set(wanted) != set(PlanKind.values):
        rows = rows.filter(kind__in=sorted(wanted))
    villages = scope_village_ids(acc)
    if villages is not None:
        rows = rows.filter(village_id__in=villages)
    else:
        rows = rows.filter(child__in=responsible_children(acc).values("pk"))
    return DueList(rows, today)


def due_for_user(
    user: User, today: date, *, within_days: int = 0, kinds: Collection[str] | None = None
) -> list[DueItem]:
    """What the user should do: for each child they answer for, each planned kind that is due
    by `today + within_days` (overdue included), most overdue first.

    A volunteer answers for visits, an officer for safety checks, a doctor for examinations, a
    director for home visits and the parents' weekly contact; supervisors and county
    administrators see every kind for their area. Read from the stored next-due dates (every
    write that changes a plan rewrites them: `services.plans`); `due_list_for_user` reads the
    same items a page at a time."""
    return list(due_list_for_user(user, today, within_days=within_days, kinds=kinds))


# What working out a child's plan reads of the child (`due_for_user`).
PLAN_FIELDS = ("village", "birth_date", "registered_at")


def due_for_display(user: User, items: Sequence[DueItem]) -> list[DueItem]:
    """`items` of `due_for_user` with their children read in full, in one query through the
    access layer: call it with the items a page or message shows, after slicing."""
    acc = account(user)
    if acc is None or not items:
        return []
    full = children_for_user(acc).select_related("village").in_bulk({i.child.pk for i in items})
    return [replace(item, child=full[item.child.pk]) for item in items if item.child.pk in full]


def examinations_due(user: User, today: date, *, within_days: int = 0) -> list[DueItem]:
    """The doctor's list of examinations due or overdue (supervisors and administrators see
    their area's)."""
    return due_for_user(user, today, within_days=within_days, kinds={PlanKind.EXAMINATION})


def examinations_due_list(user: User, today: date, *, within_days: int = 0) -> DueList:
    """`examinations_due`, read a page at a time (`due_list_for_user`)."""
    return due_list_for_user(user, today, within_days=within_days, kinds={PlanKind.EXAMINATION})


# --- the 365 figure -------------------------------------------------------------------------


@dataclass
class KindFigure:
    children: int = 0
    days: int = 0
    covered: int = 0
    longest_gap: int = 0

    @property
    def share(self) -> float | None:
        return None if self.days == 0 else self.covered / self.days


@dataclass
class AreaCoverage:
    """The 365 figure of an area: covered child-days over planned child-days, overall (every
    planned kind covered) and per kind; longest gaps are the longest of any child."""

    area: Area
    children: int = 0
    days: int = 0
    covered: int = 0
    fully_covered_children: int = 0
    longest_uncovered: int = 0
    kinds: dict[str, KindFigure] = field(default_factory=dict)
    parts: dict[int, AreaCoverage] = field(default_factory=dict)

    @property
    def share(self) -> float | None:
        return None if self.days == 0 else self.covered / self.days

    def add(self, result: plans.PlanCoverage) -> None:
        if result.days == 0:
            return
        self.children += 1
        self.days += result.days
        self.covered += result.covered
        self.fully_covered_children += result.covered == result.days
        self.longest_uncovered = max(self.longest_uncovered, result.longest_uncovered)
        for kind, one in result.kinds.items():
            figure = self.kinds.setdefault(kind, KindFigure())
            if one.days == 0:
                continue
            figure.children += 1
            figure.days += one.days
            figure.covered += one.covered
            figure.longest_gap = max(figure.longest_gap, one.longest_gap)


def _contacts_for_window(
    child_ids: list[int], kinds: list[str], first: date, today: date
) -> dict[int, dict[str, list[date]]]:
    """Per child and kind: the days of contact in the window, and the last one before it."""
    found: dict[int, dict[str, list[date]]] = defaultdict(lambda: defaultdict(list))
    inside = (
        Contact.objects.filter(
            child_id__in=child_ids, kind__in=kinds, occurred_on__gte=first, occurred_on__lte=today
        )
        .order_by()
        .values_list("child_id", "kind", "occurred_on")
        .distinct()
    )
    for child_id, kind, day in inside:
        found[child_id][kind].append(day)
    before = (
        Contact.objects.filter(child_id__in=child_ids, kind__in=kinds, occurred_on__lt=first)
        .order_by()
        .values("child_id", "kind")
        .annotate(last=Max("occurred_on"))
        .values_list("child_id", "kind", "last")
    )
    for child_id, kind, day in before:
        found[child_id][kind].append(day)
    return found


def _exams_for_window(child_ids: list[int], first: date, today: date) -> dict[int, list[date]]:
    """Per child: the days of examination in the window, and the last one before it."""
    found: dict[int, list[date]] = defaultdict(list)
    inside = (
        Examination.objects.filter(
            child_id__in=child_ids, examined_on__gte=first, examined_on__lte=today
        )
        .order_by()
        .values_list("child_id", "examined_on")
        .distinct()
    )
    for child_id, day in inside:
        found[child_id].append(day)
    before = (
        Examination.objects.filter(child_id__in=child_ids, examined_on__lt=first)
        .order_by()
        .values("child_id")
        .annotate(last=Max("examined_on"))
        .values_list("child_id", "last")
    )
    for child_id, day in before:
        found[child_id].append(day)
    return found


def _due_rule(child: Any, kind: str, settings: CareSettings) -> Callable[[date | None], date]:
    """The due date after a last contact (or examination) of `kind`, exactly as `plan_status`
    works it out for the due lists: the same plan start (the carer's pairing, else the
    registration), the same interval (tightened while the child is on the risk list)."""
    role = PLAN_CARER_ROLE.get(kind)
    since = getattr(child, f"plan_since_{role}", None) if role else None
    start = since or _registered_on(child)
    if kind == PlanKind.EXAMINATION:
        birth = child.birth_date
        return lambda last: plans.exam_next_due(birth=birth, last=last, start=start)
    interval = settings.interval(kind, on_risk_list=bool(child.plan_on_risk_list))
    return lambda last: plans.contact_next_due(last=last, start=start, interval=interval)


def _coverage_batch(
    rows: list[Child], kinds: Collection[str], today: date
) -> list[tuple[Child, plans.PlanCoverage]]:
    """The 365 figure of each child in `rows` (from `_with_plan_facts`) over the planned kinds
    in `kinds`, examinations included: a day counts as kept to the plan when no planned kind
    was overdue that day by the due list's own rule (`_due_rule`)."""
    first, _last = plans.window(today)
    kinds = [k for k in PlanKind.values if k in kinds]
    contact_kinds = [k for k in CONTACT_PLAN_KINDS if k in kinds]
    ids = [c.pk for c in rows]
    contacts = _contacts_for_window(ids, contact_kinds, first, today) if contact_kinds else {}
    exams = _exams_for_window(ids, first, today) if PlanKind.EXAMINATION in kinds else {}
    county_settings = care_settings_many(getattr(c, "plan_county", None) for c in rows)
    results = []
    for child in rows:
        settings = county_settings[child.plan_county]  # type: ignore[attr-defined]
        registered = _registered_on(child)
        last = min(today, child.exited_on) if child.exited_on else today
        per_kind: dict[str, plans.Coverage] = {}
        for kind in kinds:
            if not planned(child, kind):
                continue
            points = (
                exams.get(child.pk, [])
                if kind == PlanKind.EXAMINATION
                else contacts.get(child.pk, {}).get(kind, [])
            )
            per_kind[kind] = plans.due_coverage(
                points,
                due_after=_due_rule(child, kind, settings),
                start=registered,
                first=first,
                last=last,
            )
        results.append((child, plans.combine(per_kind, start=registered, first=first, last=last)))
    return results


def coverage_of_children(
    children: QuerySet[Child], today: date
) -> list[tuple[Child, plans.PlanCoverage]]:
    """The 365 figure of each of `children` who was in the registry at some point of the window
    (insights' roll-ups count every child of a village; pages go through `coverage_for_area`)."""
    first, _last = plans.window(today)
    rows = list(
        _with_plan_facts(
            children.exclude(exited_on__lt=first)
            .select_related("village")
            .only("exited_on", "registered_at", "birth_date", "village__parent"),
            PlanKind.values,
        ).order_by("pk")
    )
    return [
        (child, result)
        for child, result in _coverage_batch(rows, PlanKind.values, today)
        if _registered_on(child) <= today
    ]


def coverage_for_child(user: User, child: Child, today: date) -> plans.PlanCoverage:
    """A child's 365 figure over the planned kinds the user's role may read (a volunteer: the
    volunteers' visits only). `child` must come from the access layer."""
    kinds = [k for k in CONTACT_PLAN_KINDS if k in visible_contact_kinds(user)]
    if sees_health(user):
        kinds.append(PlanKind.EXAMINATION)
    rows = list(_with_plan_facts(Child.objects.filter(pk=child.pk), kinds))
    if not rows or not kinds:
        first, last = plans.window(today)
        return plans.plan_coverage({}, intervals={}, start=today, first=first, last=last)
    return _coverage_batch(rows, kinds, today)[0][1]


def coverage_for_area(
    user: User, area: Area, today: date, *, breakdown: bool = False, batch_size: int = 1000
) -> AreaCoverage | None:
    """The 365 figure of an area in the user's scope (directors, supervisors and county
    administrators), computed a batch of children at a time; with `breakdown`, also per
    township (of a county) or per village (of a township). None outside the user's scope."""
    acc = account(user)
    if acc is None or acc.role not in REGISTRY_ROLES:
        return None
    if not areas_for_user(acc).filter(pk=area.pk).exists():
        return None
    first, _last = plans.window(today)
    # Only what the figure needs: a county's children are many, and their other fields (the
    # encrypted ones decrypted per row) would cost more than the figure itself.
    children = (
        children_for_user(acc)
        .filter(village__code__startswith=area.code)
        .exclude(exited_on__lt=first)
        .select_related("village")
        .only("exited_on", "registered_at", "birth_date", "village__parent")
    )
    total = AreaCoverage(area=area)
    parts_level = {"county": "parent_id", "township": "pk"}.get(str(area.level))
    part_areas: dict[int, Area] = {}
    if breakdown and parts_level is not None:
        part_areas = {a.pk: a for a in Area.objects.filter(parent=area)}
        total.parts = {pk: AreaCoverage(area=a) for pk, a in part_areas.items()}
    last_pk = 0
    while True:
        batch = list(
            _with_plan_facts(children.filter(pk__gt=last_pk), PlanKind.values).order_by("pk")[
                :batch_size
            ]
        )
        if not batch:
            break
        last_pk = batch[-1].pk
        for child, result in _coverage_batch(batch, PlanKind.values, today):
            if child.registered_at and _registered_on(child) > today:
                continue
            total.add(result)
            if total.parts:
                key = child.village.parent_id if parts_level == "parent_id" else child.village_id
                part = total.parts.get(key or 0)
                if part is not None:
                    part.add(result)
    return total
