"""Daily care's periodic work, run by the worker once a day (`JOBS`): the risk recompute and the
daily digest each user is sent.

`risk_recompute(today)` is idempotent: it rewrites each child's score from what is in the tables.
It works a batch of children at a time with a fixed number of queries per batch.

`digest_send_all(today)` reminds each user with something due, once a day, in the app (a notice
on their home page) and by email. It reads each user's digest with `digest_build` (only what the
user may see), writes the notice, and queues the email in protection's notification outbox, in the
job's transaction: a run that fails and is rolled back queues nothing, and the notice of the day is
the mark that the user was reminded, so a second run the same day (or a catch-up run) skips them.
The outbox row's idempotency key (`care-digest-<user id>-<day>`) is unique, so a user is never sent
a day's digest twice; the outbox sends it (its Message-ID), retries a failed send with backoff and
gives up visibly like any notification. Like protection's emails, the message names no child: it
counts, and lists kinds, days and villages with the child's number, and links to the due list.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Window
from django.db.models.functions import RowNumber
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from care365.accounts.models import User
from care365.care import risk
from care365.care.access import care_tasks_for_user
from care365.care.models import (
    CareTask,
    Contact,
    Examination,
    PlanKind,
    RiskScore,
    Screening,
    Wish,
)
from care365.care.selectors import DueItem, due_for_user, plan_status, wishes_claimed_by
from care365.care.selectors.scope import care_settings_many
from care365.core.jobs import PeriodicJob
from care365.core.models import Notice
from care365.protection.models import Alert, FollowUpTask, Notification, Resolution, State
from care365.protection.selectors import follow_ups_for_user
from care365.protection.services import notification_queue
from care365.registry.models import Child, Guardian, Parent, ParentSituation

MOOD_DAYS = 90  # moods older than this say nothing about today
SCREENING_DAYS = 90
ALERT_RECENT_DAYS = 30
GROWTH_DAYS = 400  # the last examination's growth classes count for about a year
# Overdue kinds that score as "overdue contact"; the parents' contact has its own reason.
OVERDUE_KINDS = (PlanKind.VOLUNTEER_VISIT, PlanKind.HOME_VISIT, PlanKind.SAFETY_CHECK)
BATCH = 1000


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
        )
    return facts


def risk_recompute(today: date, *, batch_size: int = BATCH) -> str:
    """Score every active child for `today` and store the score, its reasons and whether the
    child is on the county's risk list (score at or above the county's threshold). Children who
    left the registry lose their row. Idempotent: a second run the same day changes nothing."""
    children = (
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
    scored = listed = 0
    last_pk = 0
    while True:
        batch = list(children.filter(pk__gt=last_pk)[:batch_size])
        if not batch:
            break
        last_pk = batch[-1].pk
        thresholds = {
            county: s.risk_threshold
            for county, s in care_settings_many(c.care_county for c in batch).items()
        }
        facts = _facts_for_batch(batch, today)
        rows = []
        for child in batch:
            result = risk.assess(facts[child.pk])
            on_list = result.score >= thresholds[child.care_county]
            rows.append(
                RiskScore(
                    child=child,
                    score=result.score,
                    reasons=[item.as_dict() for item in result.items],
                    on_list=on_list,
                    computed_on=today,
                )
            )
            scored += 1
            listed += on_list
        RiskScore.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["child"],
            update_fields=["score", "reasons", "on_list", "computed_on"],
        )
    RiskScore.objects.filter(child__exited_on__isnull=False).delete()
    return f"{scored} children scored, {listed} on the risk list"


# --- the daily digest ------------------------------------------------------------------------

DIGEST_AHEAD_DAYS = 2  # what falls due in the next two days is mentioned too


@dataclass(frozen=True)
class Digest:
    """What one user is reminded of in the morning (in the app and by email)."""

    user_id: int
    today: date
    overdue: list[DueItem] = field(default_factory=list)
    due_today: list[DueItem] = field(default_factory=list)
    upcoming: list[DueItem] = field(default_factory=list)  # due within DIGEST_AHEAD_DAYS
    tasks: list[CareTask] = field(default_factory=list)  # open referral and self-harm tasks
    wishes_to_deliver: list[Wish] = field(default_factory=list)  # claimed, not yet delivered
    # Open follow-ups of mandatory reports (protection): tasks of the user's too, counted with
    # the care tasks.
    follow_ups: list[FollowUpTask] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (
            self.overdue
            or self.due_today
            or self.upcoming
            or self.tasks
            or self.follow_ups
            or self.wishes_to_deliver
        )

    @property
    def counts(self) -> dict[str, int]:
        return {
            "overdue": len(self.overdue),
            "due_today": len(self.due_today),
            "upcoming": len(self.upcoming),
            "tasks": len(self.tasks) + len(self.follow_ups),
            "wishes_to_deliver": len(self.wishes_to_deliver),
        }


def digest_build(user: User, today: date) -> Digest:
    """The user's due and overdue items (most overdue first), their open care tasks and
    follow-ups of mandatory reports, and the wishes they claimed but have not delivered. Reads
    only what the user may see; an empty digest is not worth sending (`is_empty`)."""
    items = due_for_user(user, today, within_days=DIGEST_AHEAD_DAYS)
    return Digest(
        user_id=getattr(user, "pk", 0) or 0,
        today=today,
        overdue=[i for i in items if i.days_overdue > 0],
        due_today=[i for i in items if i.days_overdue == 0],
        upcoming=[i for i in items if i.days_overdue < 0],
        tasks=list(care_tasks_for_user(user)),
        wishes_to_deliver=list(wishes_claimed_by(user).filter(state=Wish.State.CLAIMED)),
        follow_ups=list(follow_ups_for_user(user)),
    )


DIGEST_KIND = "care_digest"  # the kind of the day's notice
MAX_LINES = 30  # an email lists at most this many items of each part; the due list has all


def digest_key(user_id: int, day: date) -> str:
    """The idempotency key of a user's digest of a day in the outbox (and its email's
    Message-ID, which lets a mail server drop a duplicate): one digest per user per day."""
    return f"care-digest-{user_id}-{day.isoformat()}"


def _mail(digest: Digest) -> tuple[str, str]:
    """The email's subject and text, in the installation's language (a worker has no reader's
    language)."""
    link = f"{settings.PUBLIC_URL}{reverse('care:care-due')}" if settings.PUBLIC_URL else ""
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "digest": digest,
            "counts": digest.counts,
            "overdue": digest.overdue[:MAX_LINES],
            "due_today": digest.due_today[:MAX_LINES],
            "upcoming": digest.upcoming[:MAX_LINES],
            "tasks": digest.tasks[:MAX_LINES],
            "follow_ups": digest.follow_ups[:MAX_LINES],
            "wishes": digest.wishes_to_deliver[:MAX_LINES],
            "link": link,
        }
        subject = render_to_string("care/digest_subject.txt", context).strip()
        body = render_to_string("care/digest_email.txt", context)
    return subject[:200], body


@transaction.atomic
def digest_send_all(today: date) -> str:
    """Remind every active user with a role of what is due, once per user per day: the notice,
    and the email queued in the outbox (sent by the worker's outbox, after this commits)."""
    day = today.isoformat()
    reminded = set(
        Notice.objects.filter(kind=DIGEST_KIND, params__day=day).values_list(
            "recipient_id", flat=True
        )
    )
    users = (
        User.objects.filter(is_active=True)
        .exclude(role="")
        .exclude(pk__in=reminded)
        .select_related("area", "carer")
        .order_by("pk")
    )
    now = timezone.now()
    notices = emails = 0
    for user in users.iterator(chunk_size=200):
        digest = digest_build(user, today)
        if digest.is_empty:
            continue
        Notice.objects.create(
            recipient=user,
            kind=DIGEST_KIND,
            params={"day": day, **digest.counts},
            link=reverse("care:care-due"),
        )
        notices += 1
        if user.email:
            subject, text = _mail(digest)
            emails += notification_queue(
                kind=Notification.Kind.CARE_DIGEST,
                recipient=user,
                address=user.email,
                key=digest_key(user.pk, today),
                subject=subject,
                text=text,
                now=now,
            )
    return f"{notices} users reminded, {emails} by email"


# In this order: the risk list is recomputed before the digest, whose due dates it tightens.
JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob("risk_recompute", risk_recompute),
    PeriodicJob("care_digest", digest_send_all),
)
