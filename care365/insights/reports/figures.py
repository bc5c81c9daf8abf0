"""The figures of a report: an area's children and the network's work in a period, in the
ministry's breakdowns (DOMAIN.md, "Indicators a county reports").

Every figure is an aggregate query over the area's children (`reports.access.report_children`,
the one door reports use), a fixed number of queries whatever the area's size: one per group of
children (all, left-behind, in difficulty, each kind) with conditional counts for sex, age band,
schooling and entrusted carer; one per table for the rest. Nothing loops over children in
Python. Children are counted as they stood at the period's last day: registered by then and not
yet exited, with the statuses open that day.

The result is plain data (codes and numbers, JSON-ready) kept with the report; the labels are
added when it is rendered, in the reader's language (`reports.render`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import median, quantiles
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from care365.accounts.models import Role, User
from care365.areas.models import Area
from care365.care.models import (
    CONTACT_PLAN_KINDS,
    CareTask,
    Contact,
    Examination,
    PlanKind,
    Screening,
    Wish,
)
from care365.care.selectors.scope import care_settings_many
from care365.carers.models import Carer, CarerRole
from care365.insights.reports.access import area_code_prefix, report_children
from care365.insights.reports.periods import Period
from care365.pairing.models import Pairing
from care365.protection.models import Alert
from care365.protection.models.alerts import MANDATORY_REPORT_KINDS
from care365.registry.models import (
    Child,
    ChildStatus,
    Consent,
    ConsentPurpose,
    Grade,
    GuardianRelationship,
    Parent,
    ParentSituation,
    StatusKind,
)

DIFFICULTY = (
    StatusKind.DIFFICULTY_POVERTY,
    StatusKind.DIFFICULTY_DISABILITY,
    StatusKind.DIFFICULTY_GUARDIANSHIP,
)
# The groups of children each breakdown is given for, and the statuses that put a child in one.
GROUPS: dict[str, tuple[str, ...]] = {
    "left_behind": (StatusKind.LEFT_BEHIND,),
    "difficulty": DIFFICULTY,
    "difficulty_poverty": (StatusKind.DIFFICULTY_POVERTY,),
    "difficulty_disability": (StatusKind.DIFFICULTY_DISABILITY,),
    "difficulty_guardianship": (StatusKind.DIFFICULTY_GUARDIANSHIP,),
    "unsupported": (StatusKind.UNSUPPORTED,),
    "all": (),
}
# Age bands (years, inclusive) as the ministry reports them, and the schooling groups.
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("0-5", 0, 5),
    ("6-13", 6, 13),
    ("14-15", 14, 15),
    ("16-17", 16, 17),
)
SCHOOLING: dict[str, tuple[str, ...]] = {
    "not_in_school": (Grade.NOT_IN_SCHOOL,),
    "kindergarten": (Grade.KINDERGARTEN,),
    "primary": tuple(g for g in Grade.values if g.startswith("p")),
    "junior": (Grade.JUNIOR_1, Grade.JUNIOR_2, Grade.JUNIOR_3),
    "senior": (Grade.SENIOR_1, Grade.SENIOR_2, Grade.SENIOR_3),
    "vocational": (Grade.VOCATIONAL,),
    "dropped_out": (Grade.DROPPED_OUT,),
}
GROWTH_CLASSES = ("stunting", "severe_stunting", "thinness", "overweight", "obesity")
CARER_ROLES = (CarerRole.POLICE, CarerRole.DOCTOR, CarerRole.VOLUNTEER)
# The steps of computing a report's figures, in order (the progress bar counts them).
STEPS = ("children", "pairing", "care", "health", "alerts", "movements", "staff")


@dataclass(frozen=True)
class Table:
    """One table of a report: its key (its title and its rows' and columns' labels are looked up
    by key when rendered), its columns, and its rows as (row key, values)."""

    key: str
    columns: list[str]
    rows: list[tuple[str, list[Any]]]

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "columns": self.columns, "rows": [[k, v] for k, v in self.rows]}


def _day_after(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time()))


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time()))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def children_at(area: Area, day: date) -> QuerySet[Child]:
    """The area's children on `day`: registered by its end and not exited before it ended."""
    return report_children(area).filter(
        Q(exited_on__isnull=True) | Q(exited_on__gt=day), registered_at__lt=_day_after(day)
    )


def statuses_open_on(day: date, kinds: Iterable[str]) -> QuerySet[ChildStatus]:
    return ChildStatus.objects.filter(kind__in=list(kinds), started_on__lte=day).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=day)
    )


def group_children(area: Area, day: date, group: str) -> QuerySet[Child]:
    children = children_at(area, day)
    kinds = GROUPS[group]
    if not kinds:
        return children
    return children.filter(Exists(statuses_open_on(day, kinds).filter(child=OuterRef("pk"))))


def _group_breakdown(children: QuerySet[Child], day: date) -> dict[str, int]:
    """One query: how many children, by sex, age band, schooling, boarding and carer type."""
    counts: dict[str, Any] = {
        "n": Count("pk"),
        "sex_M": Count("pk", filter=Q(sex="M")),
        "sex_F": Count("pk", filter=Q(sex="F")),
        "boarding": Count("pk", filter=Q(boarding=True)),
        "guardian_none": Count("pk", filter=Q(guardian__isnull=True)),
    }
    for key, low, high in AGE_BANDS:
        # Aged low..high on `day`: born after (day - (high + 1) years), on or before day - low.
        counts[f"age_{key}"] = Count(
            "pk",
            filter=Q(
                birth_date__gt=_years_before(day, high + 1),
                birth_date__lte=_years_before(day, low),
            ),
        )
    for key, grades in SCHOOLING.items():
        counts[f"school_{key}"] = Count("pk", filter=Q(grade__in=grades))
    for relationship in GuardianRelationship.values:
        counts[f"guardian_{relationship}"] = Count(
            "pk", filter=Q(guardian__relationship=relationship)
        )
    return {k: int(v or 0) for k, v in children.order_by().aggregate(**counts).items()}


def _children_tables(area: Area, period: Period) -> list[Table]:
    day = period.end
    by_group = {g: _group_breakdown(group_children(area, day, g), day) for g in GROUPS}
    main = ("left_behind", "difficulty", "unsupported", "all")
    return [
        Table(
            "children_by_status",
            ["children", "boys", "girls"],
            [(g, [b["n"], b["sex_M"], b["sex_F"]]) for g, b in by_group.items()],
        ),
        Table(
            "children_by_age",
            list(main),
            [(key, [by_group[g][f"age_{key}"] for g in main]) for key, _lo, _hi in AGE_BANDS],
        ),
        Table(
            "children_by_guardian",
            list(main),
            [
                (r, [by_group[g][f"guardian_{r}"] for g in main])
                for r in [*GuardianRelationship.values, "none"]
            ],
        ),
        Table(
            "children_by_schooling",
            list(main),
            [(key, [by_group[g][f"school_{key}"] for g in main]) for key in SCHOOLING]
            + [("boarding", [by_group[g]["boarding"] for g in main])],
        ),
    ]


def _pairings_open_on(day: date) -> QuerySet[Pairing]:
    return Pairing.objects.filter(since__lte=day).filter(Q(until__isnull=True) | Q(until__gt=day))


def _pairing_table(area: Area, period: Period) -> Table:
    day = period.end
    open_pairings = _pairings_open_on(day)
    columns = ["all", "left_behind"]
    results: list[dict[str, int]] = []
    for group in columns:
        children = group_children(area, day, group).annotate(
            **{
                f"has_{role}": Exists(open_pairings.filter(child=OuterRef("pk"), role=role))
                for role in CARER_ROLES
            }
        )
        every = Q(**{f"has_{r}": True for r in CARER_ROLES})
        no_one = Q(**{f"has_{r}": False for r in CARER_ROLES})
        counts = children.order_by().aggregate(
            n=Count("pk"),
            all_three=Count("pk", filter=every),
            none=Count("pk", filter=no_one),
            **{role: Count("pk", filter=Q(**{f"has_{role}": True})) for role in CARER_ROLES},
        )
        counts["some"] = counts["n"] - counts["all_three"] - counts["none"]
        results.append({k: int(v or 0) for k, v in counts.items()})
    rows = ["n", "all_three", "some", "none", *CARER_ROLES]
    return Table("pairing", columns, [(r, [res[r] for res in results]) for r in rows])


def _care_table(area: Area, period: Period) -> Table:
    """Contacts done in the period against those due: each planned child is due one contact
    of each kind per interval of their county's plan (care.models.CareSettings), so
    `period days / interval` of them in the period."""
    day = period.end
    children = children_at(area, day)
    consent = Consent.objects.filter(
        child=OuterRef("pk"), purpose=ConsentPurpose.VOLUNTEER, given_on__lte=day
    ).filter(Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=day))
    away = Parent.objects.filter(child=OuterRef("pk"), situation=ParentSituation.AWAY_FOR_WORK)
    by_county = list(
        children.annotate(consent=Exists(consent), away=Exists(away))
        .order_by()
        .values("village__parent__parent_id")
        .annotate(
            n=Count("pk"),
            with_consent=Count("pk", filter=Q(consent=True)),
            parents_away=Count("pk", filter=Q(away=True)),
        )
    )
    settings = care_settings_many(row["village__parent__parent_id"] for row in by_county)
    # Who each kind is planned for: a volunteer's visits while the guardian consents, the
    # parents' contact while a parent is away for work, the rest for every child.
    planned_of: dict[str, str] = {
        PlanKind.VOLUNTEER_VISIT: "with_consent",
        PlanKind.PARENT_CONTACT: "parents_away",
    }
    due: dict[str, float] = dict.fromkeys(CONTACT_PLAN_KINDS, 0.0)
    for row in by_county:
        facts: dict[str, Any] = dict(row)
        county_settings = settings[facts["village__parent__parent_id"]]
        for kind in CONTACT_PLAN_KINDS:
            planned = int(facts[planned_of.get(kind, "n")])
            due[kind] += planned * period.days / county_settings.interval(kind)
    done = {
        row["kind"]: (int(row["n"]), int(row["children"]))
        for row in Contact.objects.filter(
            child__in=report_children(area),
            occurred_on__gte=period.start,
            occurred_on__lte=period.end,
        )
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"), children=Count("child", distinct=True))
    }
    rows: list[tuple[str, list[Any]]] = []
    for kind in CONTACT_PLAN_KINDS:
        n, reached = done.get(kind, (0, 0))
        expected = round(due[kind])
        share = round(100 * n / expected, 1) if expected else None
        rows.append((kind, [expected, n, share, reached]))
    return Table("care", ["due", "done", "percent", "children_reached"], rows)


def _health_table(area: Area, period: Period) -> Table:
    children = report_children(area)
    exams = Examination.objects.filter(
        child__in=children, examined_on__gte=period.start, examined_on__lte=period.end
    ).order_by()
    counts: dict[str, Any] = {"n": Count("pk"), "children": Count("child", distinct=True)}
    for name in GROWTH_CLASSES:
        # The class's code with its quotes, as it stands in the JSON list ("stunting" is not
        # found inside "severe_stunting").
        counts[name] = Count("pk", filter=Q(growth_classes__icontains=f'"{name}"'))
    exam = exams.aggregate(**counts)
    year_ago = _years_before(period.end, 1)
    present = children_at(area, period.end)
    examined_within_year = (
        Examination.objects.filter(
            child__in=present, examined_on__gt=year_ago, examined_on__lte=period.end
        )
        .order_by()
        .aggregate(n=Count("child", distinct=True))["n"]
    )
    screenings = (
        Screening.objects.filter(
            child__in=children, screened_on__gte=period.start, screened_on__lte=period.end
        )
        .order_by()
        .aggregate(
            n=Count("pk"),
            above=Count("pk", filter=Q(above_cutoff=True)),
            children=Count("child", distinct=True),
        )
    )
    tasks = (
        CareTask.objects.filter(
            child__in=children,
            created_at__gte=_day_start(period.start),
            created_at__lt=_day_after(period.end),
        )
        .order_by()
        .aggregate(
            referrals=Count("pk", filter=Q(kind=CareTask.Kind.REFERRAL)),
            self_harm=Count("pk", filter=Q(kind=CareTask.Kind.SELF_HARM)),
        )
    )
    rows: list[tuple[str, list[Any]]] = [
        ("examinations", [exam["n"]]),
        ("children_examined", [exam["children"]]),
        *((f"growth_{name}", [exam[name]]) for name in GROWTH_CLASSES),
        ("children_present", [present.count()]),
        ("examined_within_year", [examined_within_year]),
        ("screenings", [screenings["n"]]),
        ("children_screened", [screenings["children"]]),
        ("screenings_above_cutoff", [screenings["above"]]),
        ("referrals", [tasks["referrals"]]),
        ("self_harm_follow_ups", [tasks["self_harm"]]),
    ]
    return Table("health", ["n"], rows)


def _alerts_of(area: Area) -> QuerySet[Alert]:
    prefix = area_code_prefix(area)
    return Alert.objects.filter(
        Q(village__code__startswith=prefix)
        | Q(village__isnull=True, county__code__startswith=prefix[:6])
    )


def _alerts_table(area: Area, period: Period) -> Table:
    alerts = _alerts_of(area).filter(
        raised_at__gte=_day_start(period.start), raised_at__lt=_day_after(period.end)
    )
    by_kind = dict(
        alerts.order_by().values("kind").annotate(n=Count("pk")).values_list("kind", "n")
    )
    totals = alerts.order_by().aggregate(
        n=Count("pk"),
        mandatory=Count("pk", filter=Q(kind__in=MANDATORY_REPORT_KINDS)),
        acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False)),
        with_child=Count("pk", filter=Q(with_child_at__isnull=False)),
        resolved=Count("pk", filter=Q(resolved_at__isnull=False)),
    )
    # The times of the period's acknowledged alerts (few: a county has some a week), for the
    # median and the 90th percentile.
    waits = sorted(
        (acked - raised).total_seconds() / 60
        for raised, acked in alerts.filter(acknowledged_at__isnull=False)
        .order_by()
        .values_list("raised_at", "acknowledged_at")
        if acked is not None
    )
    p50 = round(median(waits), 1) if waits else None
    p90 = round(quantiles(waits, n=10, method="inclusive")[-1], 1) if len(waits) > 1 else p50
    from care365.protection.models import Kind

    rows: list[tuple[str, list[Any]]] = [
        ("raised", [totals["n"]]),
        ("mandatory", [totals["mandatory"]]),
        ("acknowledged", [totals["acknowledged"]]),
        ("with_child", [totals["with_child"]]),
        ("resolved", [totals["resolved"]]),
        ("ack_minutes_median", [p50]),
        ("ack_minutes_p90", [p90]),
        *((f"kind_{kind}", [int(by_kind.get(kind, 0))]) for kind in Kind.values),
    ]
    return Table("alerts", ["n"], rows)


def _movements_table(area: Area, period: Period) -> Table:
    """Entries and exits in the period: children registered and leaving the registry (by
    reason), statuses starting (by kind) and ending (by reason)."""
    from care365.registry.models import ExitReason, StatusEndReason

    children = report_children(area)
    entered = children.filter(
        registered_at__gte=_day_start(period.start), registered_at__lt=_day_after(period.end)
    ).count()
    exits = dict(
        children.filter(exited_on__gte=period.start, exited_on__lte=period.end)
        .order_by()
        .values("exit_reason")
        .annotate(n=Count("pk"))
        .values_list("exit_reason", "n")
    )
    statuses = ChildStatus.objects.filter(child__in=children).order_by()
    started = dict(
        statuses.filter(started_on__gte=period.start, started_on__lte=period.end)
        .values("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    ended = dict(
        statuses.filter(ended_on__gte=period.start, ended_on__lte=period.end)
        .values("end_reason")
        .annotate(n=Count("pk"))
        .values_list("end_reason", "n")
    )
    rows: list[tuple[str, list[Any]]] = [("registered", [entered])]
    rows += [(f"exit_{r}", [int(exits.get(r, 0))]) for r in ExitReason.values]
    rows += [(f"status_start_{k}", [int(started.get(k, 0))]) for k in StatusKind.values]
    rows += [(f"status_end_{r}", [int(ended.get(r, 0))]) for r in StatusEndReason.values]
    return Table("movements", ["n"], rows)


def _staff_table(area: Area, period: Period) -> Table:
    """Who serves the area now: township supervisors (儿童督导员), village children's directors
    (儿童主任) with an account, the active carers by role, and the period's wishes."""
    prefix = area_code_prefix(area)
    users = User.objects.filter(is_active=True, area__code__startswith=prefix).order_by()
    people = users.aggregate(
        supervisors=Count("pk", filter=Q(role=Role.SUPERVISOR)),
        directors=Count("pk", filter=Q(role=Role.DIRECTOR)),
    )
    carers = dict(
        Carer.objects.filter(active=True, organisation__area__code__startswith=prefix)
        .order_by()
        .values("role")
        .annotate(n=Count("pk"))
        .values_list("role", "n")
    )
    wishes = (
        Wish.objects.filter(child__in=report_children(area))
        .order_by()
        .aggregate(
            posted=Count(
                "pk",
                filter=Q(
                    posted_at__gte=_day_start(period.start), posted_at__lt=_day_after(period.end)
                ),
            ),
            fulfilled=Count(
                "pk",
                filter=Q(
                    delivered_at__gte=_day_start(period.start),
                    delivered_at__lt=_day_after(period.end),
                ),
            ),
        )
    )
    rows: list[tuple[str, list[Any]]] = [
        ("supervisors", [people["supervisors"]]),
        ("directors", [people["directors"]]),
        *((f"carers_{role}", [int(carers.get(role, 0))]) for role in CARER_ROLES),
        ("wishes_posted", [wishes["posted"]]),
        ("wishes_fulfilled", [wishes["fulfilled"]]),
    ]
    return Table("staff", ["n"], rows)


def report_figures(
    area: Area, period: Period, *, step: Callable[[int], None] | None = None
) -> list[Table]:
    """Every table of a report of `area` for `period`, in order; `step(i)` after each step."""
    tables: list[Table] = []
    makers: list[Callable[[Area, Period], list[Table]]] = [
        _children_tables,
        lambda a, p: [_pairing_table(a, p)],
        lambda a, p: [_care_table(a, p)],
        lambda a, p: [_health_table(a, p)],
        lambda a, p: [_alerts_table(a, p)],
        lambda a, p: [_movements_table(a, p)],
        lambda a, p: [_staff_table(a, p)],
    ]
    for i, make in enumerate(makers, start=1):
        tables.extend(make(area, period))
        if step is not None:
            step(i)
    return tables


def figures_json(area: Area, period: Period, tables: list[Table]) -> dict[str, Any]:
    return {
        "area": {"code": area.code, "name": area.name, "level": area.level},
        "period": {
            "kind": period.kind,
            "label": period.label,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        },
        "tables": [t.as_json() for t in tables],
    }
