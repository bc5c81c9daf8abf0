"""The figures of an area, read from the roll-ups: for dashboards, the statistics API and the
reports (`care365/insights/reports/` calls these, never the tables).

Every function takes the user and an area that came through `access.area_get_for_user`, and a
`Period` (`period_parse("2026-05")`, `"2026-Q2"`, `"2026"`). Counts come back as `int | str`:
"<5" where small cells are suppressed (`access.small_cells`); shares and times are left out
(None) where their base is suppressed. State figures (children, pairing, overdue, the 365
figure, open alerts) are as of the last refresh; flows (contacts, examinations, screenings,
alerts, wishes, entries and exits) are summed over the period's months. docs/insights.md defines
each figure.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Q, Sum
from django.utils import timezone

from care365.accounts.access import figures_area
from care365.accounts.models import Role, User
from care365.accounts.selectors import capped_count
from care365.areas.models import Area
from care365.core.figures import cells_with_total
from care365.insights.access import cell, small_cells
from care365.insights.models import Tally
from care365.insights.services import AGE_BANDS, CARER_ROLES, CARERS, NOW, bucket_value
from care365.registry.models import StatusKind

Cell = int | str
PLAN_KINDS = ("volunteer_visit", "safety_check", "home_visit", "parent_contact", "examination")
CONTACT_KINDS = ("volunteer_visit", "safety_check", "consultation", "home_visit", "parent_contact")


# --- periods -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A month, a quarter or a year, as the months it holds ("YYYY-MM")."""

    label: str
    months: tuple[str, ...]

    def year_before(self) -> Period:
        months = tuple(f"{int(m[:4]) - 1:04d}{m[4:]}" for m in self.months)
        return Period(label=f"{int(self.label[:4]) - 1:04d}{self.label[4:]}", months=months)


_PERIOD = re.compile(r"^(\d{4})(?:-(?:(0[1-9]|1[0-2])|Q([1-4])))?$")


def period_parse(text: str | None, today: date | None = None) -> Period:
    """ "YYYY-MM", "YYYY-Qn" or "YYYY"; the current month when empty. ValueError otherwise."""
    if not text:
        today = today or timezone.localdate()
        text = f"{today.year:04d}-{today.month:02d}"
    match = _PERIOD.match(text)
    if match is None or not 2000 <= int(match.group(1)) <= 2100:
        raise ValueError(text)
    year = int(match.group(1))
    if match.group(2):
        return Period(text, (text,))
    if match.group(3):
        q = int(match.group(3))
        return Period(text, tuple(f"{year:04d}-{m:02d}" for m in range(3 * q - 2, 3 * q + 1)))
    return Period(text, tuple(f"{year:04d}-{m:02d}" for m in range(1, 13)))


def months_back(today: date, n: int) -> list[str]:
    """The last `n` months up to today's, oldest first."""
    out = []
    y, m = today.year, today.month
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out[::-1]


# --- reading the roll-ups ----------------------------------------------------------------------


class Figures:
    """The (metric, key) -> n of one area: the state now, and flows summed over months."""

    def __init__(self, rows: Iterable[tuple[str, str, int]]) -> None:
        self.n: dict[tuple[str, str], int] = defaultdict(int)
        for metric, key, n in rows:
            self.n[metric, key] += int(n)

    def get(self, metric: str, key: str = "") -> int:
        return self.n.get((metric, key), 0)

    def by(self, metric: str) -> dict[str, int]:
        return {k: n for (m, k), n in self.n.items() if m == metric}


def read(area: Area, months: Iterable[str] = ()) -> Figures:
    """The area's state figures and its flows over `months`, in one query."""
    periods = [NOW, *months]
    rows = (
        Tally.objects.filter(area=area, period__in=periods)
        .order_by()
        .values_list("metric", "key")
        .annotate(total=Sum("n"))
        .values_list("metric", "key", "total")
    )
    return Figures(rows)


def read_parts(area: Area, months: Iterable[str] = ()) -> list[tuple[Area, Figures]]:
    """The figures of each area one level below `area` (its townships, villages, ...), in two
    queries."""
    parts = list(Area.objects.filter(parent=area).order_by("code"))
    rows: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    for area_id, metric, key, n in (
        Tally.objects.filter(area__parent=area, period__in=[NOW, *months])
        .order_by()
        .values_list("area_id", "metric", "key")
        .annotate(total=Sum("n"))
        .values_list("area_id", "metric", "key", "total")
    ):
        rows[area_id].append((metric, key, n))
    return [(part, Figures(rows.get(part.pk, []))) for part in parts]


def percentile_of(histogram: dict[str, int], q: float) -> float | None:
    """The q-th percentile (nearest rank) of a time histogram (services.bucket_of), seconds."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = max(1, round(q / 100 * total + 0.5 - 1e-9)) if q < 100 else total
    seen = 0
    for bucket in sorted(histogram, key=int):
        seen += histogram[bucket]
        if seen >= rank:
            return round(bucket_value(int(bucket)), 1)
    return None


def share(part: int, whole: int, small: bool) -> float | None:
    if whole == 0 or (small and whole < 5):
        return None
    return round(part / whole, 4)


def _cells(values: dict[str, int], keys: Iterable[str], small: bool) -> dict[str, Cell]:
    return {k: cell(values.get(k, 0), small) for k in keys}


def _subtree_ids(area: Area) -> list[int]:
    """The area and every area below it, by the parent links (one query per level)."""
    found = [area.pk]
    frontier = [area.pk]
    while frontier:
        frontier = list(Area.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        found.extend(frontier)
    return found


# --- the topics --------------------------------------------------------------------------------


@dataclass
class ChildrenFigures:
    area: Area
    period: Period
    small: bool
    total: Cell
    by_status: dict[str, Cell]
    by_age: dict[str, Cell]
    by_sex: dict[str, Cell]
    by_guardian: dict[str, Cell]
    by_schooling: dict[str, Cell]
    boarding: Cell
    entries: Cell
    exits: Cell
    exits_by_reason: dict[str, Cell]
    entries_year_before: Cell
    exits_year_before: Cell
    # The change in entries and exits on the same period of the year before (None: no base).
    entries_change: float | None
    exits_change: float | None


def _change(now: int, before: int, small: bool) -> float | None:
    if before == 0 or (small and (before < 5 or now < 5)):
        return None
    return round((now - before) / before, 4)


def children(user: User, area: Area, period: Period) -> ChildrenFigures:
    """Active children by status, age band, sex, entrusted carer and schooling; entries and exits
    in the period (by reason), and the same period of the year before."""
    small = small_cells(user, area)
    f = read(area, period.months)
    before = read(area, period.year_before().months)
    entries, exits = f.get("entries"), sum(f.by("exits").values())
    entries_b, exits_b = before.get("entries"), sum(before.by("exits").values())
    return ChildrenFigures(
        area=area,
        period=period,
        small=small,
        total=cell(f.get("children"), small),
        by_status=_cells(f.by("status"), StatusKind.values, small),
        by_age=_cells(f.by("age"), [b[0] for b in AGE_BANDS], small),
        by_sex=_cells(f.by("sex"), ["F", "M"], small),
        by_guardian=_cells(f.by("guardian"), sorted(f.by("guardian")), small),
        by_schooling=_cells(f.by("school"), sorted(f.by("school")), small),
        boarding=cell(f.get("boarding"), small),
        entries=cell(entries, small),
        exits=cell(exits, small),
        exits_by_reason=_cells(f.by("exits"), sorted(f.by("exits")), small),
        entries_year_before=cell(entries_b, small),
        exits_year_before=cell(exits_b, small),
        entries_change=_change(entries, entries_b, small),
        exits_change=_change(exits, exits_b, small),
    )


@dataclass
class PairingFigures:
    area: Area
    small: bool
    children: Cell
    coverage: dict[str, Cell]  # all / some / none
    all_share: float | None
    paired: dict[str, Cell]  # per role
    gaps: dict[str, Cell]  # per role


def pairing(user: User, area: Area) -> PairingFigures:
    small = small_cells(user, area)
    f = read(area)
    total = f.get("children")
    return PairingFigures(
        area=area,
        small=small,
        children=cell(total, small),
        coverage=_cells(f.by("coverage"), ["all", "some", "none"], small),
        all_share=share(f.get("coverage", "all"), total, small),
        paired=_cells(f.by("paired"), CARER_ROLES, small),
        gaps=_cells(f.by("gap"), CARER_ROLES, small),
    )


@dataclass
class KindLine:
    kind: str
    planned: Cell
    due: Cell
    overdue: Cell
    share_365: float | None


@dataclass
class CareFigures:
    area: Area
    period: Period
    small: bool
    kinds: list[KindLine]
    overdue: Cell
    due: Cell
    contacts: dict[str, Cell]  # done in the period, per contact kind
    share_365: float | None
    children_365: Cell
    full_365: Cell
    examinations: Cell
    examined_last_year: Cell
    growth: dict[str, Cell]  # classes of the latest examination in the last year
    exam_classes: dict[str, Cell]  # classes of the period's examinations
    screenings: Cell
    above_cutoff: Cell
    referrals: Cell
    referrals_open: Cell
    risk: Cell
    wishes_posted: Cell
    wishes_fulfilled: Cell
    wishes_open: Cell


def care(user: User, area: Area, period: Period) -> CareFigures:
    """Contacts done against due, the 365 figure (examinations included), examinations and
    growth classes, screenings and referrals, the risk list and wishes."""
    small = small_cells(user, area)
    f = read(area, period.months)
    planned, due, overdue = f.by("planned"), f.by("due"), f.by("overdue")
    days, covered = f.by("c365_days"), f.by("c365_covered")
    kinds = [
        KindLine(
            kind=k,
            planned=cell(planned.get(k, 0), small),
            due=cell(due.get(k, 0), small),
            overdue=cell(overdue.get(k, 0), small),
            share_365=share(covered.get(k, 0), days.get(k, 0), False),
        )
        for k in PLAN_KINDS
    ]
    children_365 = f.get("c365", "children")
    return CareFigures(
        area=area,
        period=period,
        small=small,
        kinds=kinds,
        overdue=cell(sum(overdue.values()), small),
        due=cell(sum(due.values()), small),
        contacts=_cells(f.by("contacts"), CONTACT_KINDS, small),
        share_365=(
            None
            if small and children_365 < 5
            else share(f.get("c365", "covered"), f.get("c365", "days"), False)
        ),
        children_365=cell(children_365, small),
        full_365=cell(f.get("c365", "full"), small),
        examinations=cell(f.get("exams"), small),
        examined_last_year=cell(f.get("examined"), small),
        growth=_cells(f.by("growth"), sorted(f.by("growth")), small),
        exam_classes=_cells(f.by("exam_class"), sorted(f.by("exam_class")), small),
        screenings=cell(f.get("screenings"), small),
        above_cutoff=cell(f.get("above_cutoff"), small),
        referrals=cell(f.get("referrals"), small),
        referrals_open=cell(f.get("referrals_open"), small),
        risk=cell(f.get("risk"), small),
        wishes_posted=cell(f.get("wishes_posted"), small),
        wishes_fulfilled=cell(f.get("wishes_fulfilled"), small),
        wishes_open=cell(f.get("wishes_open"), small),
    )


@dataclass
class AlertFigures:
    area: Area
    period: Period
    small: bool
    raised: Cell
    by_kind: dict[str, Cell]
    acknowledged: Cell
    reached: Cell
    open: Cell
    acknowledge_median_s: float | None
    acknowledge_p90_s: float | None
    reach_median_s: float | None
    reach_p90_s: float | None


def alerts(user: User, area: Area, period: Period) -> AlertFigures:
    """Alerts raised in the period (by the village they were raised in), how many were
    acknowledged and reached, and the median and 90th percentile of those times (read from
    histograms: within 2.5% and a second of the exact figure)."""
    small = small_cells(user, area)
    f = read(area, period.months)
    by_kind = f.by("alerts")
    raised = sum(by_kind.values())
    acked, reached = f.by("ack_s"), f.by("reach_s")
    hide = small and raised < 5
    return AlertFigures(
        area=area,
        period=period,
        small=small,
        raised=cell(raised, small),
        by_kind=_cells(by_kind, sorted(by_kind), small),
        acknowledged=cell(f.get("acked"), small),
        reached=cell(f.get("reached"), small),
        open=cell(f.get("alerts_open"), small),
        acknowledge_median_s=None if hide else percentile_of(acked, 50),
        acknowledge_p90_s=None if hide else percentile_of(acked, 90),
        reach_median_s=None if hide else percentile_of(reached, 50),
        reach_p90_s=None if hide else percentile_of(reached, 90),
    )


@dataclass
class Overview:
    area: Area
    period: Period
    small: bool
    children: Cell
    by_status: dict[str, Cell]
    paired: dict[str, Cell]
    coverage: dict[str, Cell]
    carers: dict[str, Cell]
    directors: Cell
    supervisors: Cell
    overdue: Cell
    share_365: float | None
    risk: Cell
    alerts_open: Cell
    extra: dict[str, object] = field(default_factory=dict)


def live_children(area: Area, rolled_up: int) -> int:
    """Active children of an area at or below the county, counted from the registry's index as
    the children list counts them, up to the list's cap: the overview and the list agree at
    every moment while the list counts exactly. Beyond the cap (the list says "more than
    10,000"), the roll-ups' figure `rolled_up`, which trails by seconds: counting a county of
    300,000 children costs more than the whole page."""
    from care365.registry.models import Child

    ids = _subtree_ids(area)
    n, exact = capped_count(Child.objects.filter(village_id__in=ids, exited_on__isnull=True))
    return n if exact else rolled_up


def overview(user: User, area: Area, period: Period) -> Overview:
    """The figures an area starts with: children and their statuses, pairing, carers and the
    directors and supervisors who serve them, what is overdue, the 365 figure, the risk list and
    open alerts."""
    small = small_cells(user, area)
    f = read(area, period.months)
    subtree = _subtree_ids(area)
    staff = dict(
        User.objects.filter(
            is_active=True, area_id__in=subtree, role__in=[Role.DIRECTOR, Role.SUPERVISOR]
        )
        .order_by()
        .values_list("role")
        .annotate(n=Count("id"))
        .values_list("role", "n")
    )
    total = f.get("children") if small else live_children(area, f.get("children"))
    return Overview(
        area=area,
        period=period,
        small=small,
        children=cell(total, small),
        by_status=_cells(f.by("status"), StatusKind.values, small),
        paired=_cells(f.by("paired"), CARER_ROLES, small),
        coverage=_cells(f.by("coverage"), ["all", "some", "none"], small),
        carers=_cells(f.by(CARERS), CARER_ROLES, small),
        directors=cell(staff.get(Role.DIRECTOR, 0), small),
        supervisors=cell(staff.get(Role.SUPERVISOR, 0), small),
        overdue=cell(sum(f.by("overdue").values()), small),
        share_365=share(f.get("c365", "covered"), f.get("c365", "days"), small)
        if not (small and f.get("c365", "children") < 5)
        else None,
        risk=cell(f.get("risk"), small),
        alerts_open=cell(f.get("alerts_open"), small),
    )


@dataclass
class PartLine:
    """One area one level down, for the drill-down table and the map."""

    area: Area
    children: Cell
    all_share: float | None
    overdue: Cell
    share_365: float | None
    risk: Cell
    alerts_open: Cell
    risk_share: float | None


def parts(user: User, area: Area, period: Period) -> list[PartLine]:
    """The areas one level below `area`, each with its headline figures (small cells judged by
    the area shown: a county's townships are at the county's level)."""
    out = []
    for part, f in read_parts(area, period.months):
        small = small_cells(user, part)
        total = f.get("children")
        out.append(
            PartLine(
                area=part,
                children=cell(total, small),
                all_share=share(f.get("coverage", "all"), total, small),
                overdue=cell(sum(f.by("overdue").values()), small),
                share_365=share(f.get("c365", "covered"), f.get("c365", "days"), small)
                if not (small and f.get("c365", "children") < 5)
                else None,
                risk=cell(f.get("risk"), small),
                alerts_open=cell(f.get("alerts_open"), small),
                risk_share=share(f.get("risk"), total, small),
            )
        )
    return out


def trend(user: User, area: Area, metric: str, months: list[str]) -> list[tuple[str, Cell]]:
    """A flow per month (summed over its keys), oldest first, for the charts."""
    small = small_cells(user, area)
    totals: dict[str, int] = defaultdict(int)
    for period, n in (
        Tally.objects.filter(area=area, period__in=months, metric=metric)
        .order_by()
        .values_list("period")
        .annotate(total=Sum("n"))
        .values_list("period", "total")
    ):
        totals[period] += int(n)
    return [(m, cell(totals.get(m, 0), small)) for m in months]


@dataclass
class Dashboard:
    """Everything an area's dashboard shows, in a fixed number of queries."""

    area: Area
    period: Period
    trail: list[Area]  # from the user's own area down to this one
    overview: Overview
    children: ChildrenFigures
    pairing: PairingFigures
    care: CareFigures
    alerts: AlertFigures
    parts: list[PartLine]
    trend_months: list[str]
    entries_trend: list[tuple[str, Cell]]
    exits_trend: list[tuple[str, Cell]]
    contacts_trend: list[tuple[str, Cell]]
    alerts_trend: list[tuple[str, Cell]]


def dashboard(user: User, area: Area, period: Period, today: date | None = None) -> Dashboard:
    today = today or timezone.localdate()
    root = user.area
    trail: list[Area] = []
    node: Area | None = area
    while node is not None:
        trail.append(node)
        if root is not None and node.pk == root.pk:
            break
        node = node.parent
    months = months_back(today, 12)
    return Dashboard(
        area=area,
        period=period,
        trail=trail[::-1],
        overview=overview(user, area, period),
        children=children(user, area, period),
        pairing=pairing(user, area),
        care=care(user, area, period),
        alerts=alerts(user, area, period),
        parts=parts(user, area, period),
        trend_months=months,
        entries_trend=trend(user, area, "entries", months),
        exits_trend=trend(user, area, "exits", months),
        contacts_trend=trend(user, area, "contacts", months),
        alerts_trend=trend(user, area, "alerts", months),
    )


# --- figures per county, for the officials above the county ---------------------------------


@dataclass(frozen=True)
class CountyFigures:
    """One county's figures as an official above it sees them: strings, small cells hidden."""

    code: str
    name: str
    prefecture: str  # the county's prefecture (or its province, where it has none)
    children: str
    left_behind: str


@dataclass(frozen=True)
class AreaFigures:
    counties: list[CountyFigures]
    children: str  # totals, exact only when no county's figure is hidden (core.figures)
    left_behind: str


def county_figures(user: User) -> AreaFigures | None:
    """Active children and left-behind children per county below a province or prefecture
    official's area, counts below 5 shown as "<5" (DESIGN.md, "No oracles"); None for anyone
    else. Read from the roll-ups, two rows per county: counting the registry grows with the
    province (1,000,000 children), the roll-ups do not. Never a child's record."""
    area = figures_area(user)
    if area is None:
        return None
    counties = list(
        Area.objects.filter(level=Area.Level.COUNTY, code__startswith=area.code_prefix)
        .select_related("parent")
        .order_by("code")
    )
    counts: dict[tuple[int, str], int] = dict.fromkeys(
        ((c.pk, m) for c in counties for m in ("children", "status")), 0
    )
    rows = Tally.objects.filter(area__in=counties, period=NOW).filter(
        Q(metric="children", key="") | Q(metric="status", key=StatusKind.LEFT_BEHIND)
    )
    for area_id, metric, n in rows.values_list("area_id", "metric", "n"):
        counts[area_id, metric] = n
    children_cells, children_total = cells_with_total([counts[c.pk, "children"] for c in counties])
    left_cells, left_total = cells_with_total([counts[c.pk, "status"] for c in counties])
    return AreaFigures(
        counties=[
            CountyFigures(
                code=county.code,
                name=county.name,
                prefecture=county.parent.name if county.parent is not None else "",
                children=children_cells[i],
                left_behind=left_cells[i],
            )
            for i, county in enumerate(counties)
        ],
        children=children_total,
        left_behind=left_total,
    )
