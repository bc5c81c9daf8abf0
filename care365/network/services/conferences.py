"""Case conferences (联席会议): a high-risk child's case taken to the county's network, who
attended, what was discussed and decided, and the actions decided, each with an owner and a due
date, followed like tasks until done (docs/network.md).

Every write is one transaction with its audit row. A conference is convened by a county
administrator or the child's township supervisor (`may_convene`); a child not on the risk list
needs the convener's reason. A step from the wrong state is refused with `StateConflictError`
(409) by a conditional update, so two at once cannot both win; bad input gives errors keyed by
field, in the actor's language, and writes nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from care365.accounts.models import User
from care365.carers.models import Organisation
from care365.core.audit import audit
from care365.core.errors import StateConflictError
from care365.core.models import Notice
from care365.network.access import (
    action_owners,
    child_on_risk_list,
    conference_organisations,
    may_convene,
    may_mark_done,
    runs_conference,
)
from care365.network.models import (
    PERSON_MAX,
    PLACE_MAX,
    REASON_MAX,
    ROLE_TEXT_MAX,
    CaseConference,
    ConferenceAction,
    ConferenceAttendee,
)
from care365.registry.models import Child

ACTION_OVERDUE_NOTICE = "conference_action_overdue"
LONG_MAX = REASON_MAX * 4
# A conference still being recorded: its attendees and actions may change.
OPEN_CONFERENCE = (CaseConference.State.PLANNED, CaseConference.State.HELD)


def _text(
    errors: dict[str, list[str]], name: str, value: Any, *, required: bool, limit: int
) -> str:
    text = str(value or "").strip()
    if required and not text:
        errors[name] = [_("This field is required.")]
    elif len(text) > limit:
        errors[name] = [_("Keep it under %(n)d characters.") % {"n": limit}]
    return text


def _date(errors: dict[str, list[str]], name: str, value: Any) -> date | None:
    if isinstance(value, date):
        return value
    parsed = None
    try:
        parsed = parse_date(str(value or "").strip())
    except ValueError:
        parsed = None
    if parsed is None:
        errors[name] = [_("Give a date (YYYY-MM-DD).")]
    return parsed


def _format(errors: dict[str, list[str]], value: Any) -> str:
    text = str(value or "").strip() or CaseConference.Format.IN_PERSON
    if text not in CaseConference.Format.values:
        errors["format"] = [_("Choose a format from the list.")]
    return text


def _organisation(
    errors: dict[str, list[str]], child: Child, organisation_id: int | None
) -> Organisation | None:
    if organisation_id is None:
        return None
    organisation = conference_organisations(child).filter(pk=organisation_id).first()
    if organisation is None:
        errors["organisation"] = [_("Choose an organisation of the child's county.")]
    return organisation


def _open(conference: CaseConference) -> None:
    if conference.state == CaseConference.State.CLOSED:
        raise StateConflictError(_("This conference is closed: it cannot be changed."))


@transaction.atomic
def conference_create(
    *,
    actor: User,
    child: Child,
    held_on: Any,
    place: str = "",
    format: str = "",  # the conference's format, as the field is named
    reason: str = "",
    now: datetime | None = None,
) -> CaseConference:
    """Convene a conference for a child (read through the access layer) of the actor's area.

    A child on the risk list needs no reason; any other child does (`reason`), so that every
    conference about a child the list does not flag says why it was held."""
    if not may_convene(actor, child):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    day = _date(errors, "held_on", held_on)
    place_text = _text(errors, "place", place, required=False, limit=PLACE_MAX)
    kind = _format(errors, format)
    on_list = child_on_risk_list(child)
    reason_text = _text(errors, "reason", reason, required=not on_list, limit=REASON_MAX)
    if "reason" in errors and not reason_text:
        errors["reason"] = [
            _("The child is not on the risk list: say why the conference is convened.")
        ]
    if errors:
        raise ValidationError(errors)
    assert day is not None  # noqa: S101  # an error above otherwise
    conference = CaseConference.objects.create(
        child=child,
        held_on=day,
        place=place_text,
        format=kind,
        on_risk_list=on_list,
        reason=reason_text,
        convened_by=actor,
        created_at=now or timezone.now(),
    )
    audit(
        actor=actor,
        action="conference_create",
        obj=conference,
        changes=["child", "held_on", "place", "format", "reason"],
    )
    return conference


@transaction.atomic
def conference_update(
    *,
    actor: User,
    conference: CaseConference,
    held_on: Any,
    place: str,
    format: str,  # the conference's format, as the field is named
    summary: str,
    decisions: str,
) -> CaseConference:
    """Change the date, place and format, and record what was discussed and decided, while the
    conference is not closed."""
    if not runs_conference(actor, conference):
        raise PermissionDenied
    _open(conference)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {
        "held_on": _date(errors, "held_on", held_on),
        "place": _text(errors, "place", place, required=False, limit=PLACE_MAX),
        "format": _format(errors, format),
        "summary": _text(errors, "summary", summary, required=False, limit=LONG_MAX),
        "decisions": _text(errors, "decisions", decisions, required=False, limit=LONG_MAX),
    }
    if errors:
        raise ValidationError(errors)
    changed = sorted(k for k, v in values.items() if getattr(conference, k) != v)
    moved = (
        CaseConference.objects.filter(pk=conference.pk)
        .exclude(state=CaseConference.State.CLOSED)
        .update(**values)
    )
    if not moved:
        raise StateConflictError(_("This conference is closed: it cannot be changed."))
    conference.refresh_from_db()
    audit(actor=actor, action="conference_update", obj=conference, changes=changed)
    return conference


def _step(
    *,
    actor: User,
    conference: CaseConference,
    source: str,
    action: str,
    values: dict[str, Any],
) -> CaseConference:
    moved = CaseConference.objects.filter(pk=conference.pk, state=source).update(**values)
    if not moved:
        state = (
            CaseConference.objects.filter(pk=conference.pk).values_list("state", flat=True).first()
        )
        label = CaseConference.State(state).label if state else ""
        raise StateConflictError(
            _("This conference is %(state)s: it cannot be changed so.") % {"state": label}
        )
    conference.refresh_from_db()
    audit(actor=actor, action=action, obj=conference, changes=sorted(values))
    return conference


@transaction.atomic
def conference_hold(
    *,
    actor: User,
    conference: CaseConference,
    summary: str,
    decisions: str,
    held_on: Any = None,
) -> CaseConference:
    """Record that the conference was held: what was discussed and what was decided (the
    decisions are required: a conference decides something, if only to watch)."""
    if not runs_conference(actor, conference):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {
        "state": CaseConference.State.HELD,
        "summary": _text(errors, "summary", summary, required=False, limit=LONG_MAX),
        "decisions": _text(errors, "decisions", decisions, required=True, limit=LONG_MAX),
    }
    if held_on not in (None, ""):
        values["held_on"] = _date(errors, "held_on", held_on)
    if errors:
        raise ValidationError(errors)
    return _step(
        actor=actor,
        conference=conference,
        source=CaseConference.State.PLANNED,
        action="conference_hold",
        values=values,
    )


@transaction.atomic
def conference_close(
    *, actor: User, conference: CaseConference, now: datetime | None = None
) -> CaseConference:
    """Close a held conference once every action it decided is done."""
    if not runs_conference(actor, conference):
        raise PermissionDenied
    if conference.actions.filter(state=ConferenceAction.State.OPEN).exists():
        raise StateConflictError(
            _("Some actions of this conference are still open: close it once they are done.")
        )
    return _step(
        actor=actor,
        conference=conference,
        source=CaseConference.State.HELD,
        action="conference_close",
        values={"state": CaseConference.State.CLOSED, "closed_at": now or timezone.now()},
    )


@transaction.atomic
def conference_attendee_add(
    *,
    actor: User,
    conference: CaseConference,
    user_id: int | None = None,
    organisation_id: int | None = None,
    name: str = "",
    role: str = "",
) -> ConferenceAttendee:
    """Record someone at the conference: a user of the child's county, or a person named with
    their organisation."""
    if not runs_conference(actor, conference):
        raise PermissionDenied
    _open(conference)
    errors: dict[str, list[str]] = {}
    person: User | None = None
    if user_id is not None:
        person = action_owners(conference.child).filter(pk=user_id).first()
        if person is None:
            errors["user"] = [_("Choose a user of the child's county.")]
    name_text = _text(errors, "name", name, required=user_id is None, limit=PERSON_MAX)
    if user_id is None and "name" in errors and not name_text:
        errors["name"] = [_("Choose a user, or give the person's name.")]
    role_text = _text(errors, "role", role, required=False, limit=ROLE_TEXT_MAX)
    organisation = _organisation(errors, conference.child, organisation_id)
    if errors:
        raise ValidationError(errors)
    attendee = ConferenceAttendee.objects.create(
        conference=conference,
        user=person,
        organisation=organisation,
        name=name_text,
        role=role_text,
    )
    audit(
        actor=actor,
        action="conference_attendee_add",
        obj=conference,
        changes=["attendees"],
        note=f"attendee #{attendee.pk}",
    )
    return attendee


@transaction.atomic
def conference_attendee_remove(*, actor: User, attendee: ConferenceAttendee) -> None:
    """Take back an attendee recorded by mistake, while the conference is not closed."""
    conference = attendee.conference
    if not runs_conference(actor, conference):
        raise PermissionDenied
    removed, _rows = ConferenceAttendee.objects.filter(
        pk=attendee.pk, conference__state__in=OPEN_CONFERENCE
    ).delete()
    if not removed:
        raise StateConflictError(_("This conference is closed: it cannot be changed."))
    audit(
        actor=actor,
        action="conference_attendee_remove",
        obj=conference,
        changes=["attendees"],
        note=f"attendee #{attendee.pk}",
    )


@transaction.atomic
def conference_action_update(
    *,
    actor: User,
    action: ConferenceAction,
    what: str,
    owner_id: int | None,
    due_on: Any,
    organisation_id: int | None = None,
    now: datetime | None = None,
) -> ConferenceAction:
    """Change an open action (what, owner, due date, organisation) while its conference is not
    closed: the conveners of the child's area. A new due date is today or later (an overdue
    action may keep its date); moving it lets the overdue reminder be sent again."""
    conference = action.conference
    if not runs_conference(actor, conference):
        raise PermissionDenied
    _open(conference)
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    what_text = _text(errors, "what", what, required=True, limit=REASON_MAX)
    owner: User | None = None
    if owner_id is not None and owner_id == action.owner_id:
        owner = action.owner  # kept as it is (even one no longer among the county's staff)
    elif owner_id is not None:
        owner = action_owners(conference.child).filter(pk=owner_id).first()
    if owner is None:
        errors["owner"] = [_("Choose an owner among the staff of the child's county.")]
    day = _date(errors, "due_on", due_on)
    if day is not None and day != action.due_on and day < timezone.localdate(now):
        errors["due_on"] = [_("The due date cannot be in the past.")]
    organisation = _organisation(errors, conference.child, organisation_id)
    if errors:
        raise ValidationError(errors)
    assert owner is not None and day is not None  # noqa: S101  # an error above otherwise
    values: dict[str, Any] = {
        "what": what_text,
        "owner": owner,
        "organisation": organisation,
        "due_on": day,
    }
    changed = sorted(k for k, v in values.items() if getattr(action, k) != v)
    if day != action.due_on:
        values["reminded_on"] = None
    moved = ConferenceAction.objects.filter(
        pk=action.pk,
        state=ConferenceAction.State.OPEN,
        conference__state__in=OPEN_CONFERENCE,
    ).update(**values)
    if not moved:
        raise StateConflictError(_("This action is already done."))
    action.refresh_from_db()
    audit(actor=actor, action="conference_action_update", obj=action, changes=changed)
    return action


@transaction.atomic
def conference_action_add(
    *,
    actor: User,
    conference: CaseConference,
    what: str,
    owner_id: int | None,
    due_on: Any,
    organisation_id: int | None = None,
    now: datetime | None = None,
) -> ConferenceAction:
    """An action the conference decided: what, its owner (a staff user of the child's county),
    the day it is due (today or later), and optionally the organisation that carries it."""
    if not runs_conference(actor, conference):
        raise PermissionDenied
    _open(conference)
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    what_text = _text(errors, "what", what, required=True, limit=REASON_MAX)
    owner: User | None = None
    if owner_id is not None:
        owner = action_owners(conference.child).filter(pk=owner_id).first()
    if owner is None:
        errors["owner"] = [_("Choose an owner among the staff of the child's county.")]
    day = _date(errors, "due_on", due_on)
    if day is not None and day < timezone.localdate(now):
        errors["due_on"] = [_("The due date cannot be in the past.")]
    organisation = _organisation(errors, conference.child, organisation_id)
    if errors:
        raise ValidationError(errors)
    assert owner is not None and day is not None  # noqa: S101  # an error above otherwise
    action = ConferenceAction.objects.create(
        conference=conference,
        what=what_text,
        owner=owner,
        organisation=organisation,
        due_on=day,
        created_at=now,
        created_by=actor,
    )
    audit(
        actor=actor,
        action="conference_action_add",
        obj=action,
        changes=["what", "owner", "organisation", "due_on"],
    )
    return action


@transaction.atomic
def conference_action_done(
    *, actor: User, action: ConferenceAction, note: str, now: datetime | None = None
) -> ConferenceAction:
    """The owner (or a convener of the child's area) marks the action done, with a note of
    what was done."""
    if not may_mark_done(actor, action):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    text = _text(errors, "note", note, required=True, limit=REASON_MAX)
    if errors:
        raise ValidationError(errors)
    values = {
        "state": ConferenceAction.State.DONE,
        "done_at": now or timezone.now(),
        "done_by": actor,
        "note": text,
    }
    moved = ConferenceAction.objects.filter(pk=action.pk, state=ConferenceAction.State.OPEN).update(
        **values
    )
    if not moved:
        raise StateConflictError(_("This action is already done."))
    action.refresh_from_db()
    audit(actor=actor, action="conference_action_done", obj=action, changes=sorted(values))
    return action


def conference_actions_remind_overdue(today: date) -> int:
    """The daily reminder: a notice to the owner of each open action past its due date, once a
    day (`reminded_on`), naming the action's and conference's numbers, never the child.
    Idempotent: a second run on the same day finds nothing left to remind."""
    due = list(
        ConferenceAction.objects.filter(state=ConferenceAction.State.OPEN, due_on__lt=today)
        .exclude(reminded_on=today)
        .select_related("owner")
        .only("pk", "conference_id", "due_on", "owner__is_active")[:5000]
    )
    reminded = 0
    for action in due:
        with transaction.atomic():
            claimed = (
                ConferenceAction.objects.filter(pk=action.pk, state=ConferenceAction.State.OPEN)
                .exclude(reminded_on=today)
                .update(reminded_on=today)
            )
            if not claimed or not action.owner.is_active:
                continue
            Notice.objects.create(
                recipient_id=action.owner_id,
                kind=ACTION_OVERDUE_NOTICE,
                params={
                    "action": action.pk,
                    "conference": action.conference_id,
                    "due": action.due_on.isoformat(),
                },
                link="/my-actions/",
            )
            reminded += 1
    return reminded
