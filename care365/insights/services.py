"""Keeping the roll-ups (`models.Tally`) right: the consistency model of every figure.

- **A village's figures are a function of the tables and the day.** `village_compute(village,
  today)` counts them exactly from the source tables (children, statuses, pairings, contacts,
  examinations, screenings, care tasks, alerts, wishes, the due lists' plan), a few grouped
  queries per village.
- **An area's figures are the sums of its villages'.** `village_refresh` rewrites a village's rows
  and adds the difference to the rows of every area above it (walking `Area.parent`, however many
  levels the tree has), in one transaction that first takes the roll-ups' lock, so two refreshes
  never interleave and an area is always the exact sum of its villages.
- **What marks a village for refreshing.** (1) After a change to a child commits, the registry's
  `on_child_changed` hook marks the child's village (and the village the child was last counted
  in) in `PendingVillage`. (2) Every write service writes an audit entry in its own transaction,
  numbered without gaps in commit order (core/ledger.py); `rollups_catch_up` reads the entries
  after its watermark (`RollupState.seq`), finds the villages they touch (a child's, an alert's,
  every village of a county for a county-wide pairing run), refreshes them with the marked ones
  and moves the watermark. A change to the area tree rebuilds everything. The worker runs the
  catch-up every few seconds, so figures trail the writes by seconds, never by a missed event.
- **Figures that move with the calendar** (ages, what is overdue, the 365 figure's window) are
  recomputed for every village once a day (`rollups_refresh_all`, a daily job), and
  `care365 insights rebuild` (`rollups_rebuild`) recomputes everything from nothing. Both are
  idempotent; the tests check that a refresh after any mix of events equals a rebuild.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Count, F, Max, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from care365.areas.models import Area
from care365.care.models import CareTask, Contact, Examination, RiskScore, Screening, Wish
from care365.care.selectors import PLAN_FIELDS, coverage_of_children, plan_status
from care365.carers.models import Carer, Organisation
from care365.core.models import AuditEvent
from care365.insights.models import ChildPlace, PendingVillage, RollupState, Tally
from care365.pairing.models import Pairing
from care365.protection.models import Alert
from care365.registry.models import Child, status_kinds_of

logger = logging.getLogger("care365.insights")

Key = tuple[str, str, str]  # (period, metric, key)
NOW = ""  # the period of the state figures

# Age bands of the ministry's reports (DOMAIN.md: 0-5, 6-13, 14-16), and the older children in
# difficulty (under 18).
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("0-5", 0, 5),
    ("6-13", 6, 13),
    ("14-16", 14, 16),
    ("17+", 17, 200),
)
SCHOOLING: dict[str, str] = {
    "none": "none",
    "k": "kindergarten",
    "p1": "primary",
    "p2": "primary",
    "p3": "primary",
    "p4": "primary",
    "p5": "primary",
    "p6": "primary",
    "j1": "junior",
    "j2": "junior",
    "j3": "junior",
    "s1": "senior",
    "s2": "senior",
    "s3": "senior",
    "voc": "vocational",
    "out": "dropped_out",
}
CARER_ROLES = ("police", "doctor", "volunteer")
GROWTH_WINDOW_DAYS = 365

# Response times are kept as histograms so that any area's median and 90th percentile are sums
# of its villages': bucket b holds times in [EDGE(b), EDGE(b+1)) with EDGE(b) = 10 s * (1.05^b - 1),
# so a percentile read from the buckets is within 2.5% (and a second) of the exact one.
_BASE = 1.05


def bucket_of(seconds: float) -> int:
    return max(0, math.floor(math.log1p(max(seconds, 0.0) / 10) / math.log(_BASE)))


def bucket_value(bucket: int) -> float:
    """The middle of a bucket, in seconds."""
    lo = 10 * (_BASE**bucket - 1)
    hi = 10 * (_BASE ** (bucket + 1) - 1)
    return (lo + hi) / 2


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def age_band(age: int) -> str:
    for name, lo, hi in AGE_BANDS:
        if lo <= age <= hi:
            return name
    return AGE_BANDS[0][0]


# --- one village, from the tables -------------------------------------------------------------


def _children_figures(c: Counter[Key], village_id: int, today: date) -> list[int]:
    """Active children by status, age band, sex, entrusted carer and schooling; entries and exits
    per month (all children ever registered in the village). Returns the active children's ids."""
    active: list[int] = []
    rows = (
        Child.objects.filter(village_id=village_id)
        .order_by()
        .values_list(
            "pk",
            "sex",
            "birth_date",
            "open_statuses",
            "grade",
            "boarding",
            "guardian__relationship",
            "registered_at",
            "exited_on",
            "exit_reason",
        )
    )
    for pk, sex, birth, bits, grade, boarding, guardian, registered, exited, reason in rows:
        registered_on = timezone.localdate(registered)
        if registered_on <= today:
            c[month_of(registered_on), "entries", ""] += 1
        if exited is not None:
            c[month_of(exited), "exits", reason] += 1
            continue
        active.append(pk)
        c[NOW, "children", ""] += 1
        for kind in status_kinds_of(bits):
            c[NOW, "status", kind] += 1
        age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
        c[NOW, "age", age_band(age)] += 1
        c[NOW, "sex", sex] += 1
        c[NOW, "guardian", guardian or "none"] += 1
        c[NOW, "school", SCHOOLING.get(grade, "none")] += 1
        if boarding:
            c[NOW, "boarding", ""] += 1
    return active


def _pairing_figures(c: Counter[Key], village_id: int, active: list[int]) -> None:
    """Each active child's open pairings: coverage (all three carers, some, none), per role."""
    roles: dict[int, set[str]] = defaultdict(set)
    pairs = (
        Pairing.objects.filter(
            child__village_id=village_id, child__exited_on__isnull=True, until__isnull=True
        )
        .order_by()
        .values_list("child_id", "role")
        .distinct()
    )
    for child_id, role in pairs:
        roles[child_id].add(role)
    for child_id in active:
        has = roles.get(child_id, set())
        held = [r for r in CARER_ROLES if r in has]
        for role in CARER_ROLES:
            c[NOW, "paired" if role in has else "gap", role] += 1
        c[NOW, "coverage", "all" if len(held) == 3 else "some" if held else "none"] += 1


def _plan_figures(c: Counter[Key], village_id: int, today: date) -> None:
    """The due lists' plan of every active child (care's `plan_status`, the same code the due
    lists run): planned items, those due by today and those overdue, per kind; and the 365 figure
    (care's `coverage_of_children`, which counts a day kept exactly when the due lists show
    nothing overdue that day)."""
    active = Child.objects.filter(village_id=village_id, exited_on__isnull=True).only(*PLAN_FIELDS)
    kinds = ("volunteer_visit", "safety_check", "home_visit", "parent_contact", "examination")
    for item in plan_status(active, kinds, today):
        c[NOW, "planned", item.kind] += 1
        if item.due_on <= today:
            c[NOW, "due", item.kind] += 1
        if item.days_overdue > 0:
            c[NOW, "overdue", item.kind] += 1
    for _child, result in coverage_of_children(Child.objects.filter(village_id=village_id), today):
        if result.days == 0:
            continue
        c[NOW, "c365", "children"] += 1
        c[NOW, "c365", "days"] += result.days
        c[NOW, "c365", "covered"] += result.covered
        c[NOW, "c365", "full"] += result.covered == result.days
        for kind, one in result.kinds.items():
            if one.days:
                c[NOW, "c365_days", kind] += one.days
                c[NOW, "c365_covered", kind] += one.covered


def _care_figures(c: Counter[Key], village_id: int, today: date) -> None:
    in_village = Q(child__village_id=village_id)
    for month, kind, n in (
        Contact.objects.filter(in_village)
        .order_by()
        .annotate(month=TruncMonth("occurred_on"))
        .values_list("month", "kind")
        .annotate(n=Count("id"))
    ):
        c[month_of(month), "contacts", kind] += n
    # Examinations per month with their growth classes; and, for the active children examined in
    # the last year, the classes of their latest examination.
    latest: dict[int, tuple[date, list[str]]] = {}
    since = date.fromordinal(today.toordinal() - GROWTH_WINDOW_DAYS + 1)
    for child_id, day, classes, exited in Examination.objects.filter(in_village).values_list(
        "child_id", "examined_on", "growth_classes", "child__exited_on"
    ):
        c[month_of(day), "exams", ""] += 1
        for cls in classes or ():
            c[month_of(day), "exam_class", cls] += 1
        if exited is None and since <= day <= today:
            held = latest.get(child_id)
            if held is None or held[0] < day:
                latest[child_id] = (day, list(classes or ()))
    for _day, classes in latest.values():
        c[NOW, "examined", ""] += 1
        for cls in classes or ["normal"]:
            c[NOW, "growth", cls] += 1
    for day, above in Screening.objects.filter(in_village).values_list(
        "screened_on", "above_cutoff"
    ):
        c[month_of(day), "screenings", ""] += 1
        if above:
            c[month_of(day), "above_cutoff", ""] += 1
    for created, state in CareTask.objects.filter(
        in_village, kind=CareTask.Kind.REFERRAL
    ).values_list("created_at", "state"):
        c[month_of(timezone.localdate(created)), "referrals", ""] += 1
        if state == CareTask.State.OPEN:
            c[NOW, "referrals_open", ""] += 1
    c[NOW, "risk", ""] += RiskScore.objects.filter(
        in_village, on_list=True, child__exited_on__isnull=True
    ).count()
    for posted, delivered, state in Wish.objects.filter(in_village).values_list(
        "posted_at", "delivered_at", "state"
    ):
        c[month_of(timezone.localdate(posted)), "wishes_posted", ""] += 1
        if delivered is not None:
            c[month_of(timezone.localdate(delivered)), "wishes_fulfilled", ""] += 1
        if state in (Wish.State.OPEN, Wish.State.CLAIMED):
            c[NOW, "wishes_open", ""] += 1


def _alert_figures(c: Counter[Key], village_id: int) -> None:
    """Alerts by the village they were raised in: per month and kind, acknowledged, someone with
    the child, and the histograms of the times to each."""
    for raised, kind, acked, reached, state in Alert.objects.filter(
        village_id=village_id
    ).values_list("raised_at", "kind", "acknowledged_at", "with_child_at", "state"):
        month = month_of(timezone.localdate(raised))
        c[month, "alerts", kind] += 1
        if acked is not None:
            c[month, "acked", ""] += 1
            c[month, "ack_s", str(bucket_of((acked - raised).total_seconds()))] += 1
        if reached is not None:
            c[month, "reached", ""] += 1
            c[month, "reach_s", str(bucket_of((reached - raised).total_seconds()))] += 1
        if state != "resolved":
            c[NOW, "alerts_open", ""] += 1


def village_compute(village_id: int, today: date) -> Counter[Key]:
    """Every figure of one village, counted from the tables (zeros left out)."""
    c: Counter[Key] = Counter()
    active = _children_figures(c, village_id, today)
    _pairing_figures(c, village_id, active)
    _plan_figures(c, village_id, today)
    _care_figures(c, village_id, today)
    _alert_figures(c, village_id)
    return +c  # drop zeros


# --- writing ----------------------------------------------------------------------------------


class _Tree:
    """The area tree's parent links, read once per run: the areas above each village."""

    def __init__(self) -> None:
        self.parent: dict[int, int | None] = dict(Area.objects.values_list("pk", "parent_id"))

    def above(self, area_id: int) -> list[int]:
        found: list[int] = []
        parent = self.parent.get(area_id)
        while parent is not None and parent not in found:
            found.append(parent)
            parent = self.parent.get(parent)
        return found

    def villages(self) -> list[int]:
        return list(
            Area.objects.filter(level=Area.Level.VILLAGE)
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def _lock() -> RollupState:
    """Take the roll-ups' lock for the current transaction (a row lock on PostgreSQL, the write
    lock on SQLite): refreshes and rebuilds never interleave."""
    RollupState.objects.get_or_create(name="tally")
    RollupState.objects.filter(name="tally").update(seq=F("seq"))
    return RollupState.objects.get(name="tally")


def _add(deltas: dict[tuple[int, str, str, str], int]) -> None:
    """Add to areas' rows (creating them), in one statement per thousand rows."""
    items = [(a, p, m, k, n) for (a, p, m, k), n in deltas.items() if n]
    q = connection.ops.quote_name
    table = q(Tally._meta.db_table)
    columns = ", ".join(q(c) for c in ("area_id", "period", "metric", "key", "n"))
    target = ", ".join(q(c) for c in ("area_id", "period", "metric", "key"))
    n = q("n")
    for start in range(0, len(items), 1000):
        chunk = items[start : start + 1000]
        values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
        params = [v for row in chunk for v in row]
        with connection.cursor() as cursor:
            cursor.execute(
                # Names from the model, quoted; every value is bound.
                f"INSERT INTO {table} ({columns}) VALUES {values} "  # noqa: S608
                f"ON CONFLICT ({target}) DO UPDATE SET {n} = {table}.{n} + excluded.{n}",
                params,
            )


def _place(village_id: int) -> None:
    """Remember that the village's children are counted there now."""
    ids = list(Child.objects.filter(village_id=village_id).values_list("pk", flat=True))
    ChildPlace.objects.bulk_create(
        [ChildPlace(child_id=pk, village_id=village_id) for pk in ids],
        update_conflicts=True,
        unique_fields=["child_id"],
        update_fields=["village"],
        batch_size=2000,
    )


# Carers belong to organisations, which sit at any level (a village clinic, a township's police
# station, the county hospital): each area keeps the active carers of its own organisations per
# role (CARERS_HERE), and CARERS, the sum over the area and every area below it, is carried up
# as the villages' figures are. These rows are kept apart from a village's own figures.
CARERS_HERE = "carers_here"
CARERS = "carers"
# A township's own figure (the supervisor's home): the active carers of an organisation in the
# township or serving an area in it, each once, of the township's county (the carers its
# supervisor may see), as the carers list's area filter finds them. Not a sum (a carer serving
# two townships counts in each), so it is counted whole for every township of a county whenever
# the county's carers are recounted.
CARERS_SERVING = "carers_serving"
CARER_METRICS = (CARERS_HERE, CARERS, CARERS_SERVING)


def _carers_here(area_ids: Iterable[int] | None) -> Counter[tuple[int, str]]:
    """(area, role) -> active carers of the organisations of that area itself; every area's
    when `area_ids` is None."""
    carers = Carer.objects.filter(active=True)
    if area_ids is not None:
        carers = carers.filter(organisation__area_id__in=list(area_ids))
    rows = (
        carers.order_by()
        .values_list("organisation__area_id", "role")
        .annotate(n=Count("id"))
        .values_list("organisation__area_id", "role", "n")
    )
    return Counter({(area_id, role): n for area_id, role, n in rows})


def _within_counties(codes: Iterable[str], field: str = "code") -> Q:
    within = Q()
    for code in sorted(codes):
        within |= Q(**{f"{field}__startswith": code})
    return within


def _carers_serving(county_codes: set[str] | None) -> Counter[tuple[int, str]]:
    """(township, role) -> CARERS_SERVING, for the townships of these counties (every township
    when `county_codes` is None). A township's code is its areas' first nine digits."""
    townships = Area.objects.filter(level=Area.Level.TOWNSHIP)
    carers = Carer.objects.filter(active=True)
    if county_codes is not None:
        if not county_codes:
            return Counter()
        townships = townships.filter(_within_counties(county_codes))
        carers = carers.filter(_within_counties(county_codes, "organisation__area__code"))
    township = dict(townships.values_list("code", "pk"))
    found: Counter[tuple[int, str]] = Counter()
    rows = carers.order_by().values_list("role", "organisation__area__code")
    for role, own in rows.iterator(chunk_size=5000):
        if (t := township.get(own[:9])) is not None:
            found[t, role] += 1
    serving: set[tuple[int, str, int]] = set()
    served = (
        Carer.service_areas.through.objects.filter(carer__in=carers)
        .order_by()
        .values_list("carer_id", "carer__role", "carer__organisation__area__code", "area__code")
    )
    for carer_id, role, own, code in served.iterator(chunk_size=5000):
        # Counted above in their own township; not seen from another county's township.
        if own[:9] == code[:9] or own[:6] != code[:6]:
            continue
        if (t := township.get(code[:9])) is not None:
            serving.add((t, role, carer_id))
    found.update((t, role) for t, role, _carer in serving)
    return found


def carers_refresh(area_ids: Iterable[int], *, tree: _Tree | None = None) -> int:
    """Recount the active carers of these areas' own organisations and carry each change to the
    area and every area above it, and recount CARERS_SERVING for every township of their
    counties; returns how many figures changed. One transaction under the roll-ups' lock."""
    tree = tree or _Tree()
    ids = sorted(set(area_ids))
    counties = {c[:6] for c in Area.objects.filter(pk__in=ids).values_list("code", flat=True)}
    with transaction.atomic():
        _lock()
        new = _carers_here(ids)
        old = Counter(
            {
                (area_id, role): n
                for area_id, role, n in Tally.objects.filter(
                    area_id__in=ids, period=NOW, metric=CARERS_HERE
                ).values_list("area_id", "key", "n")
            }
        )
        deltas: Counter[tuple[int, str, str, str]] = Counter()
        changed = 0
        for area_id, role in new.keys() | old.keys():
            d = new[area_id, role] - old[area_id, role]
            if not d:
                continue
            changed += 1
            deltas[area_id, NOW, CARERS_HERE, role] += d
            for above in [area_id, *tree.above(area_id)]:
                deltas[above, NOW, CARERS, role] += d
        serving = _carers_serving(counties)
        was = Tally.objects.filter(period=NOW, metric=CARERS_SERVING).filter(
            _within_counties(counties, "area__code") if counties else Q(pk__in=[])
        )
        before = Counter({(a, role): n for a, role, n in was.values_list("area_id", "key", "n")})
        for township, role in serving.keys() | before.keys():
            if d := serving[township, role] - before[township, role]:
                changed += 1
                deltas[township, NOW, CARERS_SERVING, role] += d
        _add(dict(deltas))
    return changed


def village_refresh(village_id: int, today: date, *, tree: _Tree | None = None) -> int:
    """Recount one village and carry the change to every area above it; returns how many rows
    changed. One transaction under the roll-ups' lock."""
    tree = tree or _Tree()
    with transaction.atomic():
        _lock()
        PendingVillage.objects.filter(village_id=village_id).delete()
        new = village_compute(village_id, today)
        own = Tally.objects.filter(area_id=village_id).exclude(metric__in=CARER_METRICS)
        old = {(p, m, k): n for p, m, k, n in own.values_list("period", "metric", "key", "n")}
        changed = {k: new.get(k, 0) - old.get(k, 0) for k in new.keys() | old.keys()}
        changed = {k: d for k, d in changed.items() if d}
        if changed:
            own.delete()
            Tally.objects.bulk_create(
                [
                    Tally(area_id=village_id, period=p, metric=m, key=k, n=n)
                    for (p, m, k), n in new.items()
                ],
                batch_size=2000,
            )
            deltas: dict[tuple[int, str, str, str], int] = {}
            for area_id in tree.above(village_id):
                for (p, m, k), d in changed.items():
                    deltas[area_id, p, m, k] = d
            _add(deltas)
        _place(village_id)
    return len(changed)


def village_mark(village_ids: Iterable[int]) -> None:
    PendingVillage.objects.bulk_create(
        [PendingVillage(village_id=v) for v in set(village_ids)], ignore_conflicts=True
    )


def _villages_of_children(child_ids: Iterable[int]) -> set[int]:
    ids = list(set(child_ids))
    found: set[int] = set()
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        found.update(Child.objects.filter(pk__in=chunk).values_list("village_id", flat=True))
        found.update(
            ChildPlace.objects.filter(child_id__in=chunk).values_list("village_id", flat=True)
        )
    return found


def village_mark_on_change(child_id: int, day: date) -> None:
    """The registry's `on_child_changed` listener (after the commit): mark the child's village
    and the one they were last counted in."""
    village_mark(_villages_of_children([child_id]))


def _villages_under(area_ids: Iterable[int], tree: _Tree) -> set[int]:
    wanted = set(area_ids)
    return {v for v in tree.villages() if v in wanted or wanted & set(tree.above(v))}


@dataclass
class _Touched:
    """What audit entries touched: villages to refresh, the areas whose carers to recount, and
    whether the area tree changed (everything is rebuilt then)."""

    villages: set[int] = field(default_factory=set)
    carer_areas: set[int] = field(default_factory=set)
    rebuild: bool = False


def _areas_of_counties(area_ids: Iterable[int]) -> set[int]:
    """Every area of the counties these areas are in (a county's code is its areas' first six
    digits): a carer who moved between organisations changes the count of the one they left,
    which the audit entry does not name."""
    codes = {
        c[:6] for c in Area.objects.filter(pk__in=list(area_ids)).values_list("code", flat=True)
    }
    if not codes:
        return set()
    return set(Area.objects.filter(_within_counties(codes)).values_list("pk", flat=True))


def _touched_by_events(events: list[tuple[str, int]], tree: _Tree) -> _Touched:
    """What audit entries (object type, object id) touched."""
    by_type: dict[str, set[int]] = defaultdict(set)
    for object_type, object_id in events:
        by_type[object_type].add(object_id)
    children: set[int] = set()
    villages: set[int] = set()
    areas: set[int] = set()
    organisation_areas: set[int] = set()
    for label, ids in by_type.items():
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            continue
        if model is Area:
            return _Touched(rebuild=True)
        if model is Child:
            children |= ids
            continue
        if model is Carer:
            organisation_areas.update(
                Carer.objects.filter(pk__in=ids).values_list("organisation__area_id", flat=True)
            )
            continue
        if model is Organisation:
            organisation_areas.update(
                Organisation.objects.filter(pk__in=ids).values_list("area_id", flat=True)
            )
            continue
        names = {f.name for f in model._meta.get_fields()}
        rows = model._default_manager.filter(pk__in=ids)
        if "child" in names:
            children.update(c for c in rows.values_list("child_id", flat=True) if c is not None)
        if "village" in names:
            villages.update(v for v in rows.values_list("village_id", flat=True) if v is not None)
        if "child" not in names and "village" not in names and "county" in names:
            areas.update(rows.values_list("county_id", flat=True))
    villages |= _villages_of_children(children)
    if areas:
        villages |= _villages_under(areas, tree)
    return _Touched(villages=villages, carer_areas=_areas_of_counties(organisation_areas))


def rollups_catch_up(today: date | None = None, *, limit: int = 5000) -> int:
    """Refresh the villages touched since the watermark (audit entries) or marked after a change;
    returns how many villages were refreshed. Safe to run from any number of workers at once:
    each refresh takes the roll-ups' lock, and a refresh is idempotent."""
    today = today or timezone.localdate()
    state, _ = RollupState.objects.get_or_create(name="tally")
    if state.day is None:
        rollups_rebuild(today)
        return -1
    events = list(
        AuditEvent.objects.filter(seq__gt=state.seq)
        .order_by("seq")
        .values_list("seq", "object_type", "object_id")[:limit]
    )
    tree = _Tree()
    touched = _touched_by_events([(t, i) for _s, t, i in events], tree)
    if touched.rebuild:
        rollups_rebuild(today)
        return -1
    villages = touched.villages | set(PendingVillage.objects.values_list("village_id", flat=True))
    for village_id in sorted(villages):
        village_refresh(village_id, today, tree=tree)
    if touched.carer_areas:
        carers_refresh(touched.carer_areas, tree=tree)
    if events:
        RollupState.objects.filter(name="tally", seq__lt=events[-1][0]).update(seq=events[-1][0])
    return len(villages)


def rollups_refresh_all(today: date) -> str:
    """Recount every village for `today` (ages, overdue items and the 365 figure's window move
    with the calendar), each in its own short transaction; the daily job."""
    tree = _Tree()
    villages = tree.villages()
    changed = sum(village_refresh(v, today, tree=tree) for v in villages)
    RollupState.objects.filter(name="tally").update(day=today)
    return f"{len(villages)} villages, {changed} figures changed"


def rollups_rebuild(today: date, *, progress: bool = False) -> str:
    """Recount every figure from nothing: every village from the tables, every area as the sum
    of its villages. The counting reads outside the write transaction; the watermark is taken
    first, so whatever changes meanwhile is refreshed by the next catch-up."""
    seq = AuditEvent.objects.aggregate(m=Max("seq"))["m"] or 0
    tree = _Tree()
    villages = tree.villages()
    rows: list[Tally] = []
    above: Counter[tuple[int, str, str, str]] = Counter()
    iterator: Iterable[int] = villages
    if progress:
        from tqdm import tqdm

        iterator = tqdm(villages, unit=" villages")
    for village_id in iterator:
        figures = village_compute(village_id, today)
        for (p, m, k), n in figures.items():
            rows.append(Tally(area_id=village_id, period=p, metric=m, key=k, n=n))
            for area_id in tree.above(village_id):
                above[area_id, p, m, k] += n
    for (area_id, role), n in _carers_here(None).items():
        above[area_id, NOW, CARERS_HERE, role] += n
        for a in [area_id, *tree.above(area_id)]:
            above[a, NOW, CARERS, role] += n
    for (township, role), n in _carers_serving(None).items():
        above[township, NOW, CARERS_SERVING, role] += n
    rows.extend(
        Tally(area_id=a, period=p, metric=m, key=k, n=n) for (a, p, m, k), n in above.items()
    )
    places = list(Child.objects.values_list("pk", "village_id"))
    with transaction.atomic():
        _lock()
        Tally.objects.all().delete()
        Tally.objects.bulk_create(rows, batch_size=5000)
        ChildPlace.objects.all().delete()
        ChildPlace.objects.bulk_create(
            [ChildPlace(child_id=pk, village_id=v) for pk, v in places], batch_size=5000
        )
        PendingVillage.objects.all().delete()
        RollupState.objects.filter(name="tally").update(
            seq=seq, day=today, rebuilt_at=timezone.now()
        )
    return f"{len(villages)} villages, {len(rows)} figures"
