"""Schools and attendance (控辍保学; docs/network.md): enrolments kept by the registry's keepers,
absences recorded by teachers, the county's absence threshold, and drop-outs followed with the
county's education bureau until the child is back in school.

Every write is one transaction with its audit row. The registry's own text of the child's school
and grade follows the enrolment through the registry's service (`child_update`), so the child's
page and the risk score (a drop-out is "out of school") read what the school roll says.

The threshold: a child with the county's number (`CareSettings.school_absence_days`, 3 unless
the county sets another) of unexplained absences within the last ABSENCE_WINDOW_DAYS days (the
day and the days before it) has an open `AttendanceConcern`. Opening one opens a task for the
village's children's director (a care task of kind "absences", so it joins the director's other
tasks) and adds a reason to the child's risk score; it closes when the count falls back under
the threshold. At most one is open per child, so checking again opens nothing new.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from care365.accounts.models import Role, User
from care365.care.models import CareTask
from care365.care.selectors.scope import care_settings_many
from care365.carers.models import Organisation, ServiceKind
from care365.core.audit import audit
from care365.core.errors import StateConflictError
from care365.network.access import (
    education_bureau,
    keeps_school_roll,
    records_attendance,
    records_roll_call,
    school_children_for_user,
    school_choices,
)
from care365.network.models import (
    CLASS_MAX,
    NOTE_MAX,
    REASON_MAX,
    Absence,
    AbsenceReason,
    AttendanceConcern,
    DropOut,
    Enrolment,
    Referral,
)
from care365.network.services.referrals import EVERY_CHANNEL, _tell_organisation
from care365.registry.hooks import child_changed
from care365.registry.models import Child, Grade
from care365.registry.services import child_update

ABSENCE_WINDOW_DAYS = 30
# How long the director has to follow up repeated absences, and the education bureau a drop-out.
TASK_DAYS = 3
DROP_OUT_REFERRAL_DAYS = 14
# One call records at most this many days for one child (a week's illness, a month away).
MAX_DAYS = 31
# Grades a child at school is in (not "not in school", not "dropped out").
SCHOOL_GRADES = tuple(g for g in Grade.values if g not in (Grade.NOT_IN_SCHOOL, Grade.DROPPED_OUT))


def _open_enrolment(child: Child) -> Enrolment | None:
    return (
        Enrolment.objects.filter(child=child, until__isnull=True).select_related("school").first()
    )


def _registry_school(actor: User, child: Child, *, school: str, grade: str | None) -> None:
    """The registry's text of the child's school (and grade) follows the roll."""
    values: dict[str, Any] = {"school": school[:100]}
    if grade is not None:
        values["grade"] = grade
    child_update(actor=actor, child=child, values=values)


def _settle_referral(
    actor: User, referral: Referral | None, *, outcome: str, now: datetime
) -> None:
    """Close the drop-out's referral with its outcome, if the bureau has not closed it."""
    if referral is None:
        return
    values: dict[str, Any] = {
        "state": Referral.State.DONE,
        "done_at": now,
        "done_by": actor,
        "what_done": _("Followed up the child's return to school."),
        "outcome": outcome[:REASON_MAX],
    }
    if referral.answered_at is None:
        values.update(answered_at=now, answered_by=actor)
    moved = Referral.objects.filter(pk=referral.pk, state__in=Referral.OPEN_STATES).update(**values)
    if not moved:
        return
    referral.refresh_from_db()
    audit(actor=actor, action="referral_done", obj=referral, changes=sorted(values))
    _tell_organisation(referral, "done", now=now)


def _close_drop_out(
    actor: User, drop_out: DropOut, *, state: str, outcome: str, now: datetime
) -> DropOut:
    moved = DropOut.objects.filter(pk=drop_out.pk, state=DropOut.State.OPEN).update(
        state=state, closed_at=now, closed_by=actor, outcome=outcome
    )
    if not moved:
        raise StateConflictError(_("This drop-out is already closed."))
    drop_out.refresh_from_db()
    audit(
        actor=actor,
        action="drop_out_return" if state == DropOut.State.RETURNED else "drop_out_close",
        obj=drop_out,
        changes=["state", "outcome"],
    )
    _settle_referral(actor, drop_out.referral, outcome=outcome, now=now)
    return drop_out


def _day(errors: dict[str, list[str]], name: str, value: date | None, today: date) -> date | None:
    if value is None:
        errors[name] = [_("This field is required.")]
    elif value > today:
        errors[name] = [_("This date is in the future.")]
    return value


@transaction.atomic
def enrolment_create(
    *,
    actor: User,
    child: Child,
    school_id: int | None,
    grade: str,
    class_name: str = "",
    since: date | None = None,
    now: datetime | None = None,
) -> Enrolment:
    """Enrol a child (read through the access layer) at a school of the child's county. An
    open enrolment elsewhere ends the day before ("moved"); an open drop-out is closed as back
    in school, and its referral to the education bureau done. The registry's keepers of the
    child's area only."""
    if not keeps_school_roll(actor, child):
        raise PermissionDenied
    now = now or timezone.now()
    today = timezone.localdate(now)
    since = since or today
    errors: dict[str, list[str]] = {}
    school = school_choices(child).filter(pk=school_id).first() if school_id else None
    if school is None:
        errors["school"] = [_("Choose a school of the child's county.")]
    if grade not in SCHOOL_GRADES:
        errors["grade"] = [_("Choose the child's grade.")]
    class_name = (class_name or "").strip()
    if len(class_name) > CLASS_MAX:
        errors["class_name"] = [_("Keep it under %(n)d characters.") % {"n": CLASS_MAX}]
    _day(errors, "since", since, today)
    if child.exited_on is not None:
        errors["__all__"] = [_("This child has left the registry.")]
    current = _open_enrolment(child)
    if current is not None and since <= current.since:
        errors["since"] = [_("The child's current enrolment starts on or after this date.")]
    if errors:
        raise ValidationError(errors)
    assert school is not None  # noqa: S101  # an error above otherwise
    if current is not None:
        Enrolment.objects.filter(pk=current.pk, until__isnull=True).update(
            until=since - timedelta(days=1) if since > current.since else since,
            end_reason=Enrolment.End.MOVED,
        )
        audit(actor=actor, action="enrolment_end", obj=current, changes=["until", "end_reason"])
    enrolment = Enrolment.objects.create(
        child=child,
        school=school,
        grade=grade,
        class_name=class_name,
        since=since,
        created_by=actor,
        created_at=now,
    )
    audit(
        actor=actor,
        action="enrolment_create",
        obj=enrolment,
        changes=["child", "school", "grade", "class_name", "since"],
    )
    open_drop_out = DropOut.objects.filter(child=child, state=DropOut.State.OPEN).first()
    if open_drop_out is not None:
        outcome = _("Back in school: %(school)s, from %(since)s.") % {
            "school": school.name,
            "since": since.isoformat(),
        }
        _close_drop_out(
            actor, open_drop_out, state=DropOut.State.RETURNED, outcome=outcome, now=now
        )
    _registry_school(actor, child, school=school.name, grade=grade)
    return enrolment


@transaction.atomic
def enrolment_end(
    *,
    actor: User,
    enrolment: Enrolment,
    until: date | None,
    reason: str,
    now: datetime | None = None,
) -> Enrolment:
    """End an open enrolment (moved, finished, other; a drop-out is recorded as one, with its
    follow-up). The registry's keepers of the child's area."""
    child = enrolment.child
    if not keeps_school_roll(actor, child):
        raise PermissionDenied
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    _day(errors, "until", until, timezone.localdate(now))
    if until is not None and until < enrolment.since:
        errors["until"] = [_("The enrolment started after this date.")]
    if reason not in Enrolment.End.values or reason == Enrolment.End.DROPPED_OUT:
        errors["reason"] = [_("Choose why the enrolment ends.")]
    if errors:
        raise ValidationError(errors)
    moved = Enrolment.objects.filter(pk=enrolment.pk, until__isnull=True).update(
        until=until, end_reason=reason
    )
    if not moved:
        raise StateConflictError(_("This enrolment has already ended."))
    enrolment.refresh_from_db()
    audit(actor=actor, action="enrolment_end", obj=enrolment, changes=["until", "end_reason"])
    _registry_school(actor, child, school="", grade=None)
    return enrolment


def _note(errors: dict[str, list[str]], note: str, limit: int = NOTE_MAX) -> str:
    text = (note or "").strip()
    if len(text) > limit:
        errors["note"] = [_("Keep it under %(n)d characters.") % {"n": limit}]
    return text


@transaction.atomic
def absences_record(
    *,
    actor: User,
    child: Child,
    days: Sequence[date],
    reason: str,
    note: str = "",
    now: datetime | None = None,
) -> list[Absence]:
    """Record the days a child enrolled at a school was absent, with the reason given (a day
    already recorded takes the new reason and note). A teacher of the child's school or the
    registry's keepers of the child's area; the days lie within the open enrolment and not in
    the future. Then the county's threshold is checked for the child."""
    if not records_attendance(actor, child):
        raise PermissionDenied
    now = now or timezone.now()
    today = timezone.localdate(now)
    errors: dict[str, list[str]] = {}
    enrolment = _open_enrolment(child)
    if enrolment is None:
        errors["__all__"] = [_("The child is not enrolled at a school.")]
    wanted = sorted(set(days))
    if not wanted:
        errors["days"] = [_("Give at least one day.")]
    elif len(wanted) > MAX_DAYS:
        errors["days"] = [_("Give at most %(n)d days at once.") % {"n": MAX_DAYS}]
    elif wanted[-1] > today:
        errors["days"] = [_("This date is in the future.")]
    elif enrolment is not None and wanted[0] < enrolment.since:
        errors["days"] = [_("The child was not enrolled yet on this day.")]
    if reason not in AbsenceReason.values:
        errors["reason"] = [_("Choose a reason from the list.")]
    text = _note(errors, note)
    if errors:
        raise ValidationError(errors)
    assert enrolment is not None  # noqa: S101  # an error above otherwise
    rows = [
        _absence_put(actor, child.pk, enrolment.school, day, reason=reason, note=text, now=now)
        for day in wanted
    ]
    audit(
        actor=actor,
        action="absences_record",
        obj=rows[0],
        changes=["day", "reason", "note"],
        note=f"{len(rows)} days",
    )
    attendance_check([child.pk], today)
    return rows


def _absence_put(
    actor: User,
    child_id: int,
    school: Organisation,
    day: date,
    *,
    reason: str,
    note: str,
    now: datetime,
) -> Absence:
    row, created = Absence.objects.get_or_create(
        child_id=child_id,
        day=day,
        defaults={
            "school": school,
            "reason": reason,
            "note": note,
            "recorded_by": actor,
            "recorded_at": now,
        },
    )
    if not created:
        row.school = school
        row.reason = reason
        row.note = note
        row.recorded_by = actor
        row.recorded_at = now
        row.save(update_fields=["school", "reason", "note", "recorded_by", "recorded_at"])
    return row


@transaction.atomic
def roll_call_record(
    *,
    actor: User,
    school: Organisation,
    day: date,
    absent: Mapping[int, str],
    class_name: str = "",
    now: datetime | None = None,
) -> int:
    """A teacher's roll call of their school (or one class of it) for a day: the children in
    `absent` (child id -> reason) were absent, every other child of the roll was present (an
    absence recorded for them that day is removed). Returns how many were absent."""
    if not records_roll_call(actor, school):
        raise PermissionDenied
    now = now or timezone.now()
    today = timezone.localdate(now)
    roll = school_children_for_user(actor)
    if class_name:
        roll = roll.filter(enrolments__until__isnull=True, enrolments__class_name=class_name)
    enrolled = dict(
        Enrolment.objects.filter(
            school=school, until__isnull=True, child__in=roll.values("pk")
        ).values_list("child_id", "since")
    )
    errors: dict[str, list[str]] = {}
    if day > today:
        errors["day"] = [_("This date is in the future.")]
    unknown = sorted(set(absent) - set(enrolled))
    if unknown:
        errors["absent"] = [_("A child marked absent is not on this roll.")]
    if any(reason not in AbsenceReason.values for reason in absent.values()):
        errors["reason"] = [_("Choose a reason from the list.")]
    if errors:
        raise ValidationError(errors)
    present = [c for c, since in enrolled.items() if c not in absent and since <= day]
    Absence.objects.filter(school=school, day=day, child_id__in=present).delete()
    recorded = 0
    for child_id, reason in absent.items():
        if enrolled[child_id] > day:
            continue
        _absence_put(actor, child_id, school, day, reason=reason, note="", now=now)
        recorded += 1
    audit(
        actor=actor,
        action="roll_call_record",
        obj=school,
        changes=["absences"],
        note=f"{day.isoformat()} {class_name}"[:255],
    )
    attendance_check(list(enrolled), today)
    return recorded


def _director_of(child: Child) -> User | None:
    return (
        User.objects.filter(is_active=True, role=Role.DIRECTOR, area_id=child.village_id)
        .order_by("pk")
        .first()
    )


def attendance_check(child_ids: Iterable[int], today: date) -> int:
    """Open an attendance concern (and the director's task) for each of these children whose
    unexplained absences in the window reach their county's threshold, and close the open
    concerns of those back under it. Idempotent; returns how many concerns it opened."""
    ids = sorted(set(child_ids))
    if not ids:
        return 0
    since = today - timedelta(days=ABSENCE_WINDOW_DAYS - 1)
    children = list(
        Child.objects.filter(pk__in=ids)
        .select_related("village")
        .annotate(
            school_county=F("village__parent__parent_id"),
            school_unexplained=Count(
                "school_absences",
                filter=Q(
                    school_absences__reason=AbsenceReason.UNEXPLAINED,
                    school_absences__day__gte=since,
                    school_absences__day__lte=today,
                ),
            ),
        )
    )
    thresholds = {
        county: s.school_absence_days
        for county, s in care_settings_many(c.school_county for c in children).items()
    }
    open_concerns = {
        c.child_id: c
        for c in AttendanceConcern.objects.filter(child_id__in=ids, closed_on__isnull=True)
    }
    opened = 0
    for child in children:
        count = int(child.school_unexplained)
        over = count >= thresholds[child.school_county]
        concern = open_concerns.get(child.pk)
        if over and concern is None and child.exited_on is None:
            opened += _concern_open(child, count, today)
        elif not over and concern is not None:
            with transaction.atomic():
                closed = AttendanceConcern.objects.filter(
                    pk=concern.pk, closed_on__isnull=True
                ).update(closed_on=today)
                if closed:
                    audit(actor=None, action="attendance_concern_close", obj=concern)
                    child_changed(child.pk, today)
    return opened


def _concern_open(child: Child, count: int, today: date) -> int:
    school = Absence.objects.filter(child=child).order_by("-day").values_list("school", flat=True)
    school_id = school.first()
    if school_id is None:
        return 0
    try:
        with transaction.atomic():
            concern = AttendanceConcern.objects.create(
                child=child, school_id=school_id, opened_on=today, absences=count
            )
            task = CareTask.objects.create(
                kind=CareTask.Kind.ABSENCES,
                child=child,
                assignee=_director_of(child),
                created_at=timezone.now(),
                due_on=today + timedelta(days=TASK_DAYS),
            )
            AttendanceConcern.objects.filter(pk=concern.pk).update(task=task)
            audit(actor=None, action="attendance_concern_open", obj=concern, note=str(count))
            child_changed(child.pk, today)
    except IntegrityError:
        return 0  # another writer opened it first: one concern, one task
    return 1


def attendance_concerns_refresh(today: date) -> int:
    """The daily check: the children with an open concern or an unexplained absence in the
    window are checked again, so a concern opens on a county's lower threshold and closes once
    the absences age out of the window. Returns how many concerns it opened."""
    since = today - timedelta(days=ABSENCE_WINDOW_DAYS - 1)
    ids = set(
        Absence.objects.filter(
            reason=AbsenceReason.UNEXPLAINED, day__gte=since, day__lte=today
        ).values_list("child_id", flat=True)
    )
    ids |= set(
        AttendanceConcern.objects.filter(closed_on__isnull=True).values_list("child_id", flat=True)
    )
    opened = 0
    batch = sorted(ids)
    for start in range(0, len(batch), 500):
        opened += attendance_check(batch[start : start + 500], today)
    return opened


@transaction.atomic
def drop_out_record(
    *,
    actor: User,
    child: Child,
    left_on: date | None,
    note: str = "",
    now: datetime | None = None,
) -> DropOut:
    """Record that a child dropped out of school (辍学): the open enrolment ends, the
    registry's grade becomes "dropped out" (a reason on the risk score), and the child is
    referred to the county's education bureau for school re-entry (told as any referral is).
    A teacher of the child's school or the registry's keepers of the child's area; one open
    drop-out per child (StateConflictError, 409, for a second)."""
    if not records_attendance(actor, child):
        raise PermissionDenied
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    _day(errors, "left_on", left_on, timezone.localdate(now))
    text = _note(errors, note)
    enrolment = _open_enrolment(child)
    if enrolment is None:
        errors["__all__"] = [_("The child is not enrolled at a school.")]
    elif left_on is not None and left_on < enrolment.since:
        errors["left_on"] = [_("The child was not enrolled yet on this day.")]
    if errors:
        raise ValidationError(errors)
    assert enrolment is not None and left_on is not None  # noqa: S101  # an error above otherwise
    if DropOut.objects.filter(child=child, state=DropOut.State.OPEN).exists():
        raise StateConflictError(_("This child's drop-out is already being followed up."))
    Enrolment.objects.filter(pk=enrolment.pk, until__isnull=True).update(
        until=left_on, end_reason=Enrolment.End.DROPPED_OUT
    )
    audit(actor=actor, action="enrolment_end", obj=enrolment, changes=["until", "end_reason"])
    referral = None
    bureau = education_bureau(child)
    if bureau is not None:
        reason = _("Dropped out of %(school)s on %(day)s: follow up the child's return.") % {
            "school": enrolment.school.name,
            "day": left_on.isoformat(),
        }
        if text:
            reason = f"{reason}\n{text}"
        referral = Referral.objects.create(
            child=child,
            village_id=child.village_id,
            organisation=bureau,
            service=ServiceKind.SCHOOL_REENTRY,
            reason=reason[:REASON_MAX],
            referred_by=actor,
            created_at=now,
            due_on=timezone.localdate(now) + timedelta(days=DROP_OUT_REFERRAL_DAYS),
        )
        audit(
            actor=actor,
            action="referral_create",
            obj=referral,
            changes=["child", "organisation", "service", "reason"],
        )
        _tell_organisation(referral, "created", channels=EVERY_CHANNEL, now=now)
    drop_out = DropOut.objects.create(
        child=child,
        school=enrolment.school,
        left_on=left_on,
        note=text,
        referral=referral,
        recorded_by=actor,
        created_at=now,
    )
    audit(actor=actor, action="drop_out_record", obj=drop_out, changes=["left_on", "note"])
    _registry_school(actor, child, school="", grade=Grade.DROPPED_OUT)
    return drop_out


@transaction.atomic
def drop_out_close(
    *, actor: User, drop_out: DropOut, outcome: str, now: datetime | None = None
) -> DropOut:
    """Close a drop-out's follow-up with its outcome (the child left the county, went to
    work at 16, ...); its referral to the education bureau is done with the same outcome. A
    child back in school is recorded by enrolling them, which closes it as "back in school".
    The registry's keepers of the child's area."""
    if not keeps_school_roll(actor, drop_out.child):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    text = (outcome or "").strip()
    if not text:
        errors["outcome"] = [_("This field is required.")]
    elif len(text) > REASON_MAX:
        errors["outcome"] = [_("Keep it under %(n)d characters.") % {"n": REASON_MAX}]
    if errors:
        raise ValidationError(errors)
    return _close_drop_out(
        actor, drop_out, state=DropOut.State.CLOSED, outcome=text, now=now or timezone.now()
    )
