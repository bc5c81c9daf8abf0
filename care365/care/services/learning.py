"""The volunteers' study help and interests (学业辅导, 兴趣培养): a learning goal per child with
dated progress notes, and the interest activities the child takes part in over time.

Written by the child's volunteer (paired with the child, while the guardian's consent holds) or
the registry's keepers of the child's area (`care.access.may_write_learning`); the paired
officer and doctor read them only. Each write is one transaction with its audit row."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from care365.accounts.models import Role, User
from care365.care.access import may_write_learning
from care365.care.models import InterestActivity, LearningGoal, LearningNote, Subject
from care365.care.models.learning import GOAL_MAX, NOTE_MAX, WHAT_MAX
from care365.care.services.common import CareStateError, active_user, require_active_child
from care365.core.audit import audit
from care365.registry.models import Child, Interest

BACKDATE_DAYS = 366  # a goal's start, a note or an activity may be written up to a year later


def _writer(actor: User, child: Child) -> User:
    user = active_user(actor)
    require_active_child(child)
    if not may_write_learning(user, child):
        raise PermissionDenied
    return user


def _day_errors(errors: dict[str, Any], name: str, day: date, today: date) -> None:
    if day > today:
        errors[name] = _("This day is in the future.")
    elif day < today - timedelta(days=BACKDATE_DAYS):
        errors[name] = _("Give a day within the last year.")


def _text(errors: dict[str, Any], name: str, value: str, limit: int, *, required: bool) -> str:
    value = value.strip()
    if required and not value:
        errors[name] = _("This is needed.")
    elif len(value) > limit:
        errors[name] = _("Keep this under %(n)d characters.") % {"n": limit}
    return value


def _carer_id(user: User) -> int | None:
    return user.carer_id if user.role == Role.VOLUNTEER else None


@transaction.atomic
def learning_goal_set(
    *,
    actor: User,
    child: Child,
    subject: str,
    goal: str,
    started_on: date | None = None,
    today: date | None = None,
) -> LearningGoal:
    """Set a learning goal for the child: a subject and what the child aims at, from a day
    (today if not given). The child's volunteer or a keeper of the child's area; anyone else
    is refused (PermissionDenied)."""
    user = _writer(actor, child)
    today = today or timezone.localdate()
    started_on = started_on or today
    errors: dict[str, Any] = {}
    if subject not in Subject.values:
        errors["subject"] = _("Choose a subject from the list.")
    goal = _text(errors, "goal", goal, GOAL_MAX, required=True)
    _day_errors(errors, "started_on", started_on, today)
    if errors:
        raise ValidationError(errors)
    row = LearningGoal.objects.create(
        child=child,
        subject=subject,
        goal=goal,
        started_on=started_on,
        set_by=user,
        carer_id=_carer_id(user),
    )
    audit(
        actor=user, action="learning_goal_set", obj=row, changes=["subject", "goal", "started_on"]
    )
    return row


@transaction.atomic
def learning_note_add(
    *,
    actor: User,
    goal: LearningGoal,
    note: str,
    noted_on: date | None = None,
    state: str = "",
    today: date | None = None,
) -> LearningNote:
    """Write a dated progress note on a goal and, if `state` is given, move the goal to it: a
    goal being worked on may be marked achieved or dropped (on the note's day), and one that
    was achieved or dropped taken up again. A goal someone else closed first is a
    CareStateError (the API answers 409)."""
    child = goal.child
    user = _writer(actor, child)
    today = today or timezone.localdate()
    noted_on = noted_on or today
    errors: dict[str, Any] = {}
    note = _text(errors, "note", note, NOTE_MAX, required=True)
    _day_errors(errors, "noted_on", noted_on, today)
    if state and state not in LearningGoal.State.values:
        errors["state"] = _("Choose working on it, achieved or dropped.")
    elif state and state != LearningGoal.State.ACTIVE and noted_on < goal.started_on:
        errors["noted_on"] = _("The goal started later than this day.")
    if errors:
        raise ValidationError(errors)
    changes = ["note", "noted_on"]
    if state and state != goal.state:
        ended_on = None if state == LearningGoal.State.ACTIVE else noted_on
        moved = LearningGoal.objects.filter(pk=goal.pk, state=goal.state).update(
            state=state, ended_on=ended_on
        )
        if not moved:
            raise CareStateError(_("Someone else changed this goal first: look at it again."))
        goal.state, goal.ended_on = state, ended_on
        changes.append("state")
    row = LearningNote.objects.create(goal=goal, noted_on=noted_on, note=note, written_by=user)
    audit(actor=user, action="learning_note_add", obj=row, changes=changes)
    return row


@transaction.atomic
def interest_activity_record(
    *,
    actor: User,
    child: Child,
    interest: str,
    what: str,
    done_on: date | None = None,
    note: str = "",
    today: date | None = None,
) -> InterestActivity:
    """Record something the child did for an interest (music, dance, art ...) on a day: what
    was done, and a note. The child's volunteer or a keeper of the child's area."""
    user = _writer(actor, child)
    today = today or timezone.localdate()
    done_on = done_on or today
    errors: dict[str, Any] = {}
    if interest not in Interest.values:
        errors["interest"] = _("Choose an interest from the list.")
    what = _text(errors, "what", what, WHAT_MAX, required=True)
    note = _text(errors, "note", note, NOTE_MAX, required=False)
    _day_errors(errors, "done_on", done_on, today)
    if errors:
        raise ValidationError(errors)
    row = InterestActivity.objects.create(
        child=child,
        interest=interest,
        done_on=done_on,
        what=what,
        note=note,
        written_by=user,
        carer_id=_carer_id(user),
    )
    changes = ["interest", "done_on", "what"] + (["note"] if note else [])
    audit(actor=user, action="interest_activity_record", obj=row, changes=changes)
    return row
