"""The registry's year: when each child was registered (most before the year, some during it),
children who left during it with their reasons (the parents came back, the child moved, turned
16 or 18, was reassessed), and the pairings behind today's: since when each carer has had the
child, the volunteers who were replaced, and the carers of the children who left."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count
from django.utils import timezone

from care365.areas.models import Area
from care365.carers.models import CarerRole
from care365.core import crypto
from care365.pairing.models import EndReason, Pairing
from care365.registry.models import (
    STATUS_AGE_LIMIT,
    Child,
    ChildStatus,
    Consent,
    ConsentPurpose,
    Ethnicity,
    ExitReason,
    StatusEndReason,
    StatusKind,
)
from care365.seeding.seed.children import ChildGenerator, ChildRow, years_before
from care365.seeding.seed.county import CountyPlan, TownshipPlan, VillagePlan
from care365.seeding.seed.writers import children_write, rows_update

# Of the children on the registry at the end of the year, the share registered during it.
ENTERED_SHARE = 0.12
# Of the children active at the start, the share who leave during the year for a reason other
# than age, and the share who age out (16 for left-behind, 18 for the other statuses).
LEFT_SHARE = 0.06
AGED_OUT_SHARE = 0.035
EXIT_REASONS = (
    (ExitReason.PARENTS_RETURNED, 38),
    (ExitReason.MOVED_TO_PARENTS, 27),
    (ExitReason.MOVED_AWAY, 15),
    (ExitReason.REASSESSED, 18),
    (ExitReason.DIED, 1),
)
STATUS_END: dict[str, str] = {
    ExitReason.AGED_OUT: StatusEndReason.AGED_OUT,
    ExitReason.PARENTS_RETURNED: StatusEndReason.PARENT_RETURNED,
    ExitReason.MOVED_TO_PARENTS: StatusEndReason.MOVED_TO_PARENTS,
    ExitReason.REASSESSED: StatusEndReason.REASSESSED,
}
# Open volunteer pairings that replaced another volunteer during the year.
REPLACED_SHARE = 0.06
# Of the children with two statuses or more, the share whose second one ended in the year.
STATUS_ENDED_SHARE = 0.08


@dataclass(frozen=True)
class Window:
    first: date
    today: date
    now: datetime

    def day(self, rng: random.Random, lo: date | None = None, hi: date | None = None) -> date:
        lo = max(lo or self.first, self.first)
        hi = min(hi or self.today, self.today)
        if hi <= lo:
            return lo
        return lo + timedelta(days=rng.randrange((hi - lo).days + 1))

    def at(self, rng: random.Random, day: date, start: int = 8, end: int = 19) -> datetime:
        """A moment of a working day, local time."""
        moment = datetime.combine(day, time(rng.randrange(start, end), rng.randrange(60)))
        moment = timezone.make_aware(moment)
        return min(moment, self.now - timedelta(minutes=rng.randrange(5, 90)))


def _plan(county: Area) -> tuple[CountyPlan, list[int]]:
    """The county as the child generator sees it, read back from the database: villages weighted
    by their children, with the share of She children in each."""
    townships = list(Area.objects.filter(parent=county).order_by("code"))
    index = {t.pk: i for i, t in enumerate(townships)}
    villages = list(Area.objects.filter(parent__in=townships).order_by("code"))
    counts = dict(
        Child.objects.filter(village__in=villages)
        .values_list("village")
        .annotate(n=Count("pk"))
        .values_list("village", "n")
    )
    she = dict(
        Child.objects.filter(village__in=villages, ethnicity=Ethnicity.SHE)
        .values_list("village")
        .annotate(n=Count("pk"))
        .values_list("village", "n")
    )
    plan = CountyPlan(
        code=county.code[:6],
        name=county.name,
        latitude=county.latitude or 0.0,
        longitude=county.longitude or 0.0,
        townships=tuple(
            TownshipPlan(i, t.code, t.name, "town", t.latitude or 0.0, t.longitude or 0.0)
            for i, t in enumerate(townships)
        ),
        villages=tuple(
            VillagePlan(
                index=i,
                township=index[v.parent_id or 0],
                code=v.code,
                name=v.name,
                latitude=v.latitude or 0.0,
                longitude=v.longitude or 0.0,
                weight=float(counts.get(v.pk, 0)) + 0.5,
                she_share=she.get(v.pk, 0) / counts[v.pk] if counts.get(v.pk) else 0.02,
            )
            for i, v in enumerate(villages)
        ),
    )
    return plan, [v.pk for v in villages]


def _leavers(
    rng: random.Random, county: Area, count: int, window: Window
) -> list[tuple[ChildRow, date]]:
    """Children who turned 16 (left-behind) or 18 (the other statuses) during the year and left
    the registry that day: drawn like the others, then born so."""
    plan, village_ids = _plan(county)
    hashes = set(
        Child.objects.exclude(id_number_hash=None).values_list("id_number_hash", flat=True)
    )
    generator = ChildGenerator(
        rng, plan, today=window.today, taken=lambda n: crypto.lookup_hash(n) in hashes
    )
    rows: list[tuple[ChildRow, date]] = []
    for _ in range(count):
        row = generator.child()
        kind, started = row.statuses[0]
        limit = STATUS_AGE_LIMIT[kind]
        exit_day = window.day(rng, window.first + timedelta(days=1))
        born, number = generator.id_number(years_before(exit_day, limit), row.sex)
        row.birth_date, row.id_number = born, number
        village = plan.villages[row.village]
        town = plan.townships[village.township].name
        row.school, row.grade, row.boarding = generator.schooling(born, town, village.name)
        # The status the child aged out of, since it began (before the year, at the latest).
        start = min(max(started, born), exit_day - timedelta(days=400))
        row.statuses = [(kind, max(start, born))]
        for parent in row.parents:
            if parent.away_since is not None:
                parent.away_since = min(parent.away_since, row.statuses[0][1])
        rows.append((row, exit_day))
    children_write([r for r, _ in rows], village_ids, now=window.now)
    return rows


def registry_history(
    rng: random.Random, county: Area, window: Window, *, keep: set[int]
) -> Counter[str]:
    """Registration days, exits and the children who aged out; `keep` are children who stay
    (the demo logins' own). Returns counts by what was done."""
    done: Counter[str] = Counter()
    prefix = county.code[:6]
    active = list(
        Child.objects.filter(village__code__startswith=prefix, exited_on__isnull=True)
        .order_by("pk")
        .values_list("pk", "birth_date")
    )
    aged = round(AGED_OUT_SHARE * len(active))
    leavers = _leavers(rng, county, aged, window)
    new_ids = list(
        Child.objects.filter(village__code__startswith=prefix)
        .order_by("-pk")
        .values_list("pk", flat=True)[: len(leavers)]
    )[::-1]
    registered: dict[int, date] = {}
    for pk, born in active:
        if rng.random() < ENTERED_SHARE:
            day = window.day(rng, born + timedelta(days=20))
        else:
            day = window.first - timedelta(days=rng.randrange(20, 6 * 365))
            latest = window.first - timedelta(days=1)
            day = max(day, min(born + timedelta(days=rng.randrange(60, 3 * 365)), latest))
        registered[pk] = day
    for pk, (row, exit_day) in zip(new_ids, leavers, strict=True):
        registered[pk] = max(
            row.birth_date + timedelta(days=365),
            window.first - timedelta(days=rng.randrange(200, 5 * 365)),
        )
        registered[pk] = min(registered[pk], exit_day - timedelta(days=200))
    rows_update(
        Child,
        ("registered_at", "updated_at"),
        (
            (pk, window.at(rng, day), window.at(rng, max(day, window.first)))
            for pk, day in sorted(registered.items())
        ),
    )
    done["entered"] = sum(1 for pk, _ in active if registered[pk] >= window.first)

    exits: dict[int, tuple[date, str]] = {
        pk: (exit_day, ExitReason.AGED_OUT)
        for pk, (_row, exit_day) in zip(new_ids, leavers, strict=True)
    }
    reasons = [r for r, _ in EXIT_REASONS]
    weights = [w for _, w in EXIT_REASONS]
    for pk, _born in active:
        if pk in keep or rng.random() >= LEFT_SHARE:
            continue
        day = window.day(rng, max(registered[pk], window.first) + timedelta(days=30))
        if day < window.today:
            exits[pk] = (day, rng.choices(reasons, weights)[0])
    _exit(exits)
    # The leavers' guardians consented while they were on the registry.
    rows_update(
        Consent,
        ("given_on",),
        (
            (pk, min(given, exits[child][0] - timedelta(days=30)))
            for pk, child, given in Consent.objects.filter(child_id__in=new_ids)
            .order_by("pk")
            .values_list("pk", "child_id", "given_on")
        ),
    )
    done.update(exits_by_reason := Counter(reason for _d, reason in exits.values()))
    done["exited"] = sum(exits_by_reason.values())
    done["statuses_ended"] = _statuses_end(rng, window, exits, keep)
    _pairings(rng, window, registered, exits, set(new_ids), done)
    return done


def _exit(exits: dict[int, tuple[date, str]]) -> None:
    """Take the children out as child_exit does: the day, the reason, every open status ended
    (started on that day at the latest), no carers from then on."""
    rows_update(
        Child,
        ("exited_on", "exit_reason", "open_statuses"),
        ((pk, day, reason, 0) for pk, (day, reason) in sorted(exits.items())),
    )
    statuses = ChildStatus.objects.filter(child_id__in=list(exits), ended_on__isnull=True)
    rows_update(
        ChildStatus,
        ("started_on", "ended_on", "end_reason"),
        (
            (
                pk,
                min(started, exits[child][0]),
                exits[child][0],
                STATUS_END.get(exits[child][1], StatusEndReason.CHILD_EXITED),
            )
            for pk, child, started in statuses.order_by("pk").values_list(
                "pk", "child_id", "started_on"
            )
        ),
    )


def _statuses_end(
    rng: random.Random, window: Window, exits: dict[int, tuple[date, str]], keep: set[int]
) -> int:
    """Some children with two statuses or more lose one during the year (the family is out of
    poverty, a reassessment) and stay on the registry with the others."""
    from care365.registry.services import open_statuses_sync

    by_child: dict[int, list[tuple[int, str, date]]] = defaultdict(list)
    for pk, child, kind, started in (
        ChildStatus.objects.filter(ended_on__isnull=True, child__exited_on__isnull=True)
        .exclude(child_id__in=list(exits))
        .order_by("pk")
        .values_list("pk", "child_id", "kind", "started_on")
    ):
        by_child[child].append((pk, kind, started))
    ending = []
    for child, statuses in sorted(by_child.items()):
        if len(statuses) < 2 or child in keep or rng.random() >= STATUS_ENDED_SHARE:
            continue
        pk, kind, started = statuses[-1]
        day = window.day(rng, started + timedelta(days=30))
        if kind != StatusKind.LEFT_BEHIND and day < window.today:
            ending.append((pk, child, day))
    rows_update(
        ChildStatus,
        ("ended_on", "end_reason"),
        ((pk, day, StatusEndReason.REASSESSED) for pk, _child, day in ending),
    )
    open_statuses_sync(child for _pk, child, _day in ending)
    return len(ending)


def _pairings(
    rng: random.Random,
    window: Window,
    registered: dict[int, date],
    exits: dict[int, tuple[date, str]],
    leavers: set[int],
    done: Counter[str],
) -> None:
    """Today's pairings began when the child was registered or a while ago; those of children
    who left end on the day they left; a few volunteers took over from another during the year;
    the children who aged out had carers until then."""
    consent = dict(
        Consent.objects.filter(
            child_id__in=list(registered),
            purpose=ConsentPurpose.VOLUNTEER,
            withdrawn_on__isnull=True,
        ).values_list("child_id", "given_on")
    )
    updates: list[tuple[int, date, date | None, str]] = []
    extra: list[Pairing] = []
    by_village: dict[tuple[int, str], list[int]] = defaultdict(list)
    pairings = list(
        # By child and role, not by key: the keys follow the order the pairing was approved in,
        # which the same county and seed need not repeat (PostgreSQL's sequences, the solver).
        Pairing.objects.filter(child_id__in=list(registered), until__isnull=True)
        .order_by("child_id", "role")
        .values_list("pk", "child_id", "role", "carer_id", "child__village_id")
    )
    for pk, child, role, carer, village in pairings:
        by_village[(village, role)].append(carer)
        start = registered[child] + timedelta(days=rng.randrange(3, 40))
        if start < window.first:
            start = max(start, window.first - timedelta(days=rng.randrange(30, 3 * 365)))
        if role == CarerRole.VOLUNTEER and child in consent:
            start = max(start, consent[child])
        start = min(start, window.today)
        exit_day = exits.get(child, (None, ""))[0]
        if exit_day is not None:
            start = min(start, exit_day)
            updates.append((pk, start, exit_day, EndReason.CHILD_EXITED))
        else:
            updates.append((pk, start, None, ""))
        if (
            role == CarerRole.VOLUNTEER
            and exit_day is None
            and start > window.first + timedelta(days=30)
            and rng.random() < REPLACED_SHARE * 4  # among those begun within the year
        ):
            others = [c for c in by_village[(village, role)] if c != carer]
            if others:
                extra.append(
                    Pairing(
                        child_id=child,
                        role=role,
                        carer_id=rng.choice(others),
                        since=max(
                            registered[child], start - timedelta(days=rng.randrange(120, 500))
                        ),
                        until=start,
                        end_reason=rng.choice([EndReason.REPLACED, EndReason.CARER_LEFT]),
                    )
                )
    rows_update(Pairing, ("since", "until", "end_reason"), updates)
    done["pairings_replaced"] = len(extra)
    volunteer_ok = set(consent)
    for child in sorted(leavers):
        village = Child.objects.filter(pk=child).values_list("village_id", flat=True).get()
        exit_day = exits[child][0]
        for role in CarerRole.values:
            carers = by_village.get((village, role))
            if not carers or (role == CarerRole.VOLUNTEER and child not in volunteer_ok):
                continue
            extra.append(
                Pairing(
                    child_id=child,
                    role=role,
                    carer_id=rng.choice(carers),
                    since=min(
                        registered[child] + timedelta(days=rng.randrange(3, 60)),
                        exit_day - timedelta(days=100),
                    ),
                    until=exit_day,
                    end_reason=EndReason.CHILD_EXITED,
                )
            )
    Pairing.objects.bulk_create(extra, batch_size=2000)
