"""Logging a contact with a child: one service for every kind, made to take under a minute from a
phone (kind, how long, a face for the mood; the rest optional)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from care365.accounts.models import CARER_ROLES, User
from care365.care.access import _logs_for
from care365.care.models import (
    LOGGED_BY,
    Activity,
    Contact,
    ContactChannel,
    ContactKind,
    Mood,
    PlanKind,
    WhichParent,
)
from care365.care.services.common import active_user, require_active_child
from care365.care.services.plans import plan_due_refresh
from care365.core.audit import audit
from care365.registry.hooks import child_changed
from care365.registry.models import Child

WHAT_MAX = 2000
FOLLOW_UP_MAX = 500
DURATION_MAX = 720  # minutes
BACKDATE_DAYS = 90  # a contact may be logged up to this many days after it happened
FUTURE_SLACK = timedelta(minutes=10)  # a phone's clock running a little fast


def _check_actor(user: User, child: Child, kind: str) -> None:
    if kind not in ContactKind.values:
        raise ValidationError({"kind": _("Choose what kind of contact this was.")})
    if user.role not in LOGGED_BY[kind]:
        raise ValidationError({"kind": _("Your role cannot log this kind of contact.")})
    if not _logs_for(user, child):
        if user.role in CARER_ROLES:
            raise ValidationError(
                {"child": _("You can log contacts only for children paired with you.")}
            )
        raise ValidationError({"child": _("You can log contacts only for children of your area.")})


@transaction.atomic
def contact_log(
    *,
    actor: User,
    child: Child,
    kind: str,
    duration_minutes: int | None,
    occurred_at: datetime | None = None,
    what: str = "",
    mood: int | None = None,
    activities: Sequence[str] = (),
    channel: str = "",
    parent: str = "",
    follow_up_needed: bool = False,
    follow_up_note: str = "",
    now: datetime | None = None,
) -> Contact:
    """Log one contact with a child.

    Who may log what: a volunteer their visits, an officer safety checks, a doctor consultations
    (each only for the children paired with them today); directors and supervisors home visits
    for the children of their area; the parents' weekly contact any of them. Errors are
    ValidationErrors keyed by field, all at once where they are about the entry itself."""
    user = active_user(actor)
    _check_actor(user, child, kind)
    require_active_child(child)
    now = now or timezone.now()
    at = occurred_at or now
    errors: dict[str, Any] = {}
    if timezone.is_naive(at):
        errors["occurred_at"] = _("Give the time with its time zone.")
    elif at > now + FUTURE_SLACK:
        errors["occurred_at"] = _("This time is in the future.")
    elif at < now - timedelta(days=BACKDATE_DAYS):
        errors["occurred_at"] = _("A contact can be logged up to %(days)d days afterwards.") % {
            "days": BACKDATE_DAYS
        }
    if duration_minutes is None:
        errors["duration_minutes"] = _("Say how long it took, in minutes.")
    elif (
        isinstance(duration_minutes, bool)
        or not isinstance(duration_minutes, int)
        or not 1 <= duration_minutes <= DURATION_MAX
    ):
        errors["duration_minutes"] = _("Give a whole number of minutes from 1 to %(max)d.") % {
            "max": DURATION_MAX
        }
    if mood is not None and mood not in Mood.values:
        errors["mood"] = _("Choose one of the five faces.")
    chosen = list(dict.fromkeys(activities))
    if kind == ContactKind.VOLUNTEER_VISIT:
        unknown = [a for a in chosen if a not in Activity.values]
        if unknown:
            errors["activities"] = _("Unknown activity: %(name)s.") % {"name": ", ".join(unknown)}
        elif not chosen:
            errors["activities"] = _("Choose at least one thing you did together.")
    elif chosen:
        errors["activities"] = _("Activities are recorded for volunteers' visits only.")
    if kind == ContactKind.PARENT_CONTACT:
        if channel not in ContactChannel.values:
            errors["channel"] = _(
                "Say how the parents were in touch: a call, a video call or a visit."
            )
        if parent and parent not in WhichParent.values:
            errors["parent"] = _("Choose the father, the mother or both.")
    else:
        if channel:
            errors["channel"] = _("How the parents were in touch is for the parents' contact only.")
        if parent:
            errors["parent"] = _("Which parent is for the parents' contact only.")
    what = what.strip()
    if len(what) > WHAT_MAX:
        errors["what"] = _("Keep this under %(n)d characters.") % {"n": WHAT_MAX}
    follow_up_note = follow_up_note.strip()
    if follow_up_needed and not follow_up_note:
        errors["follow_up_note"] = _("Say what needs following up.")
    elif len(follow_up_note) > FOLLOW_UP_MAX:
        errors["follow_up_note"] = _("Keep this under %(n)d characters.") % {"n": FOLLOW_UP_MAX}
    if errors:
        raise ValidationError(errors)
    assert duration_minutes is not None  # noqa: S101  # checked above, for the type checker
    contact = Contact.objects.create(
        child=child,
        kind=kind,
        occurred_at=at,
        occurred_on=timezone.localdate(at),
        duration_minutes=duration_minutes,
        what=what,
        activities=chosen,
        channel=channel,
        parent=parent,
        mood=mood,
        follow_up_needed=follow_up_needed,
        follow_up_note=follow_up_note if follow_up_needed else "",
        logged_by=user,
        logged_by_role=user.role,
        carer_id=user.carer_id if user.role in CARER_ROLES else None,
    )
    filled = ["kind", "occurred_at", "duration_minutes"] + [
        name
        for name, value in (
            ("what", what),
            ("activities", chosen),
            ("channel", channel),
            ("parent", parent),
            ("mood", mood),
            ("follow_up_needed", follow_up_needed),
        )
        if value
    ]
    audit(actor=user, action="contact_log", obj=contact, changes=filled)
    if kind in PlanKind.values:  # the next-due date of this kind moves (not a consultation's)
        plan_due_refresh([child.pk])
    child_changed(child.pk, timezone.localdate(now))
    return contact
