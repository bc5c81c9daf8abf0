"""Daily care's periodic work, run by the worker once a day (`JOBS`): the risk recompute, the
rebuild of the stored next-due dates (`services.plans`) and the daily digest each user is sent.

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

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from care365.accounts.models import User
from care365.care.access import care_tasks_for_user
from care365.care.models import (
    CareTask,
    RiskScore,
    Wish,
)
from care365.care.selectors import DueItem, due_for_user, wishes_claimed_by
from care365.care.services.plans import plan_due_rebuild
from care365.care.services.risk import risk_children, risk_scores_write
from care365.core.jobs import PeriodicJob
from care365.core.models import Notice
from care365.protection.models import FollowUpTask, Notification
from care365.protection.selectors import follow_ups_for_user
from care365.protection.services import notification_queue

BATCH = 1000


def risk_recompute(today: date, *, batch_size: int = BATCH) -> str:
    """Score every active child for `today` and store the score, its reasons and whether the
    child is on the county's risk list (score at or above the county's threshold). Children who
    left the registry lose their row. Idempotent: a second run the same day changes nothing.
    (A child is also rescored as soon as something happens to them: `services.risk`.)"""
    children = risk_children()
    scored = listed = 0
    last_pk = 0
    while True:
        batch = list(children.filter(pk__gt=last_pk)[:batch_size])
        if not batch:
            break
        last_pk = batch[-1].pk
        listed += risk_scores_write(batch, today)
        scored += len(batch)
    # The exit drops the child's score; this sweeps one written by a rescore that raced it.
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


def _users_in_pages(ids: list[int], size: int = 200) -> Iterator[User]:
    for start in range(0, len(ids), size):
        page = ids[start : start + size]
        yield from User.objects.filter(pk__in=page).select_related("area", "carer").order_by("pk")


def digest_send_all(today: date) -> str:
    """Remind every active user with a role of what is due, once per user per day: the notice,
    and the email queued in the outbox (sent by the worker's outbox once it commits). Each user's
    reminder is a short transaction of its own, so that the day's digest never holds the
    database's write lock for long; a run stopped midway is finished by the next, which skips
    the users already reminded that day."""
    day = today.isoformat()
    reminded = set(
        Notice.objects.filter(kind=DIGEST_KIND, params__day=day).values_list(
            "recipient_id", flat=True
        )
    )
    # The ids first, then the users a page at a time: no query stays open across the writes.
    ids = list(
        User.objects.filter(is_active=True)
        .exclude(role="")
        .exclude(pk__in=reminded)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    now = timezone.now()
    notices = emails = 0
    for user in _users_in_pages(ids):
        digest = digest_build(user, today)
        if digest.is_empty:
            continue
        mail = _mail(digest) if user.email else None
        with transaction.atomic():
            Notice.objects.create(
                recipient=user,
                kind=DIGEST_KIND,
                params={"day": day, **digest.counts},
                link=reverse("care:care-due"),
            )
            notices += 1
            if mail is not None:
                subject, text = mail
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


def plan_due_rebuild_daily(today: date) -> str:
    """The safety net under the stored next-due dates: every child's rewritten from the tables
    (each write keeps its children's right as it happens: `services.plans`)."""
    return plan_due_rebuild()


# In this order: the risk list is recomputed before the digest, whose due dates it tightens;
# the next-due dates are rebuilt after the risk list and before the digest reads them.
JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob("risk_recompute", risk_recompute),
    PeriodicJob("plan_due_rebuild", plan_due_rebuild_daily),
    PeriodicJob("care_digest", digest_send_all),
)
