"""The risk score of each child, kept in `RiskScore`: the facts gathered from the tables, added up
by the pure core (care/risk.py).

Two callers write the scores. The worker's daily run (`care.jobs.risk_recompute`) scores every
active child for the time-based reasons (a contact or an examination falling overdue, a screening
or an alert ageing out). And whatever happens to one child — a screening, an examination, a
contact, an alert raised or resolved, a change of status or family — rescores that child as soon
as its transaction commits (`risk_refresh`, registered with the registry's `on_child_changed` by
this app's `AppConfig.ready`), so a self-harm answer or an alert puts the child on the risk list
the same moment, not the next morning. Both are idempotent: they rewrite the score from what is
in the tables. Neither is an audited write: the score is derived, and every fact it rests on was
audited when it was written.

The risk list reads the scores alone, never the children (a county of a million children):
each score carries a copy of its child's village, and only a child in the registry has a score.
A move moves the copy in its own transaction (`risk_village_sync`, the registry's
`on_child_moved`) and an exit drops the score in its own (`risk_drop_on_exit`, `on_child_exited`);
a write puts right, in its transaction, the scores of children who moved or left after it read
them; and the daily run rewrites every copy and sweeps what a write that raced an exit left.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from care365.care import risk
from care365.care.models import Contact, Examination, PlanKind, RiskScore, Screening
from care365.care.selectors.plans import DueItem, plan_status
from care365.care.selectors.scope import care_settings_many
from care365.care.services.plans import plan_due_refresh
from care365.protection.models import Alert, Resolution, State
from care365.registry.models import Child, Guardian, Parent, ParentSituation

logger = logging.getLogger(__name__)

MOOD_DAYS = 90  # moods older than this say nothing about today
SCREENING_DAYS = 90
ALERT_RECENT_DAYS = 30
GROWTH_DAYS = 400  # the last examination's growth classes count for about a year
# Overdue kinds that score as "overdue contact"; the parents' contact has its own reason.
OVERDUE_KINDS = (PlanKind.VOLUNTEER_VISIT, PlanKind.HOME_VISIT, PlanKind.SAFETY_CHECK)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _moods(ids: list[int], today: date) -> dict[int, list[int]]:
    """The last three moods of each child within MOOD_DAYS, oldest first (one windowed query)."""
    rows = (
        Contact.objects.filter(
            child_id__in=ids,
            mood__isnull=False,
            occurred_on__gte=today - timedelta(days=MOOD_DAYS),
            occurred_on__lte=today,
        )
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("child_id")],
                order_by=[F("occurred_at").desc(), F("pk").desc()],
            )
        )
        .filter(rank__lte=3)
        .values_list("child_id", "mood", "occurred_at", "pk")
    )
    found: dict[int, list[tuple[datetime, int, int]]] = defaultdict(list)
    for child_id, mood, at, pk in rows:
        found[child_id].append((at, pk, int(mood or 0)))
    return {c: [m for _at, _pk, m in sorted(v)] for c, v in found.items()}


def _screenings(ids: list[int], today: date) -> dict[int, tuple[bool, bool]]:
    """child -> (a screening above its cut-off, a self-harm flag) within SCREENING_DAYS."""
    found: dict[int, tuple[bool, bool]] = {}
    rows = Screening.objects.filter(
        child_id__in=ids, screened_on__gte=today - timedelta(days=SCREENING_DAYS)
    ).values_list("child_id", "above_cutoff", "flags")
    for child_id, above, flags in rows:
        positive, harm = found.get(child_id, (False, False))
        found[child_id] = (positive or above, harm or "self_harm" in (flags or []))
    return found


def _growth(ids: list[int], today: date) -> dict[int, tuple[list[str], list[str]]]:
    """child -> (classes, flags) of the last examination within GROWTH_DAYS."""
    rows = (
        Examination.objects.filter(
            child_id__in=ids, examined_on__gte=today - timedelta(days=GROWTH_DAYS)
        )
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("child_id")],
                order_by=[F("examined_on").desc(), F("pk").desc()],
            )
        )
        .filter(rank=1)
        .values_list("child_id", "growth_classes", "growth_flags")
    )
    return {c: (list(classes or []), list(flags or [])) for c, classes, flags in rows}


def _alerts(ids: list[int], today: date) -> dict[int, tuple[int, int]]:
    """child -> (open alerts, alerts raised in the last ALERT_RECENT_DAYS and since resolved,
    false alarms left out)."""
    since = _start_of(today - timedelta(days=ALERT_RECENT_DAYS))
    rows = (
        Alert.objects.filter(child_id__in=ids)
        .filter(~Q(state=State.RESOLVED) | Q(raised_at__gte=since))
        .exclude(resolution=Resolution.FALSE_ALARM)
        .values_list("child_id", "state")
    )
    found: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for child_id, state in rows:
        found[child_id][0 if state != State.RESOLVED else 1] += 1
    return {c: (v[0], v[1]) for c, v in found.items()}


def _school_absences(ids: list[int]) -> dict[int, int]:
    """child -> unexplained absences counted when their open attendance concern opened. The
    network's schools keep these rows (docs/network.md); the network is a higher app, so they
    are reached by relation name rather than by import, as the access layer reads pairings."""
    # One filter() call: both conditions hold on the same concern row, and a child without any
    # concern (whose outer join gives nulls) is left out by the first.
    rows = Child.objects.filter(
        pk__in=ids,
        attendance_concerns__opened_on__isnull=False,
        attendance_concerns__closed_on__isnull=True,
    ).values_list("pk", "attendance_concerns__absences")
    return {child_id: int(count or 0) for child_id, count in rows}


def _facts_for_batch(children: Sequence[Child], today: date) -> dict[int, risk.Facts]:
    ids = [c.pk for c in children]
    batch = Child.objects.filter(pk__in=ids)
    items: dict[int, dict[str, DueItem]] = defaultdict(dict)
    for item in plan_status(batch, PlanKind.values, today, tighten=False):
        items[item.child.pk][item.kind] = item
    moods = _moods(ids, today)
    screenings = _screenings(ids, today)
    growth = _growth(ids, today)
    alerts = _alerts(ids, today)
    absences = _school_absences(ids)
    facts: dict[int, risk.Facts] = {}
    for child in children:
        mine = items.get(child.pk, {})
        parent_item = mine.get(PlanKind.PARENT_CONTACT)
        days_without = None
        if parent_item is not None:
            since = parent_item.last_on or timezone.localdate(child.registered_at)
            days_without = (today - since).days
        exam = mine.get(PlanKind.EXAMINATION)
        positive, harm = screenings.get(child.pk, (False, False))
        classes, flags = growth.get(child.pk, ([], []))
        open_alerts, recent_alerts = alerts.get(child.pk, (0, 0))
        facts[child.pk] = risk.Facts(
            age=child.age_on(today),
            overdue_kinds=tuple(
                kind for kind in OVERDUE_KINDS if kind in mine and mine[kind].overdue
            ),
            exam_overdue_days=exam.days_overdue if exam is not None and exam.overdue else None,
            parents_away=parent_item is not None,
            days_without_parent_contact=days_without,
            moods=tuple(moods.get(child.pk, ())),
            screening_positive=positive,
            self_harm=harm,
            growth_classes=tuple(classes),
            growth_flags=tuple(flags),
            open_alerts=open_alerts,
            recent_alerts=recent_alerts,
            lives_alone=not child.care_has_guardian and not child.care_parent_home,  # type: ignore[attr-defined]
            grade=child.grade,
            school_absences=absences.get(child.pk),
        )
    return facts


def risk_children() -> QuerySet[Child]:
    """Active children with what scoring needs beside their facts (their county, whether an
    entrusted carer or a parent is at home), in id order."""
    return (
        Child.objects.filter(exited_on__isnull=True)
        .annotate(
            care_county=F("village__parent__parent_id"),
            care_has_guardian=Exists(Guardian.objects.filter(child=OuterRef("pk"))),
            care_parent_home=Exists(
                Parent.objects.filter(child=OuterRef("pk"), situation=ParentSituation.AT_HOME)
            ),
        )
        .order_by("pk")
    )


def risk_scores_write(children: Sequence[Child], today: date) -> int:
    """Score these children (from `risk_children`) for `today` and store each score, its
    reasons and whether it puts the child on the county's risk list (at or above the county's
    threshold), in a fixed number of queries. Returns how many are on the list."""
    if not children:
        return 0
    thresholds = {
        county: s.risk_threshold
        for county, s in care_settings_many(c.care_county for c in children).items()  # type: ignore[attr-defined]
    }
    facts = _facts_for_batch(children, today)
    was_listed = dict(
        RiskScore.objects.filter(child_id__in=[c.pk for c in children]).values_list(
            "child_id", "on_list"
        )
    )
    rows = []
    listed = 0
    moved: list[int] = []  # children who come onto the risk list or leave it
    for child in children:
        result = risk.assess(facts[child.pk])
        on_list = result.score >= thresholds[child.care_county]  # type: ignore[attr-defined]
        rows.append(
            RiskScore(
                child=child,
                village_id=child.village_id,
                score=result.score,
                reasons=[item.as_dict() for item in result.items],
                on_list=on_list,
                computed_on=today,
            )
        )
        listed += on_list
        if on_list != was_listed.get(child.pk, False):
            moved.append(child.pk)
    with transaction.atomic():
        RiskScore.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["child"],
            update_fields=["village", "score", "reasons", "on_list", "computed_on"],
        )
        # A child who left or moved since they were read: no score, or the score in the
        # child's village now (the exit dropped the score, the move moved it, before this).
        written = RiskScore.objects.filter(child__in=children)
        written.filter(child__exited_on__isnull=False).delete()
        written.exclude(village_id=F("child__village_id")).update(
            village_id=Subquery(Child.objects.filter(pk=OuterRef("child_id")).values("village_id"))
        )
        # Their intervals are tightened or loosened: their next-due dates move with the list.
        plan_due_refresh(moved)
    return listed


def risk_refresh(child_id: int, day: date | None = None) -> RiskScore | None:
    """Rescore one child now, from what is in the tables on `day` (today if not given): what
    the daily run would store for them. A child who left the registry loses their score.
    Returns the child's score, or None for a child who left (or does not exist)."""
    day = day or timezone.localdate()
    with transaction.atomic():
        child = risk_children().filter(pk=child_id).first()
        if child is None:
            RiskScore.objects.filter(child_id=child_id).delete()
            return None
        risk_scores_write([child], day)
        return RiskScore.objects.filter(child_id=child_id).first()


def risk_refresh_on_change(child_id: int, day: date) -> None:
    """The registry's `on_child_changed` listener: rescore the child after a change commits.
    A failure leaves the score as it was (the daily run rewrites it) and is logged."""
    try:
        risk_refresh(child_id, day)
    except Exception:
        logger.exception("risk score of child %s not refreshed", child_id)


def risk_drop_on_exit(child_id: int) -> None:
    """The registry's `on_child_exited` listener, called in the exit's transaction: the child's
    score goes, so the risk list, which does not look at the children, no longer lists them."""
    RiskScore.objects.filter(child_id=child_id).delete()


def risk_village_sync(child_id: int, village_id: int) -> None:
    """The registry's `on_child_moved` listener, called in the move's transaction: the child's
    risk score follows them to their new village at once, so the risk list (read by the score's
    own copy of the village) lists the child in the new village's list and no longer in the
    old one's, whether or not the rescore after the commit succeeds."""
    RiskScore.objects.filter(child_id=child_id).exclude(village_id=village_id).update(
        village_id=village_id
    )
