"""Entering a wellbeing screening, and the work it opens.

The screening core (care/screening) scores the form; the result is kept with the instrument's
code and version. A total at or above the cut-off opens a referral task for the child's paired
doctor. Any self-harm answer raises a protection alert of kind self_harm at once, in the same
transaction (the child's officer is reached by the county's escalation policy, and the
mandatory-report follow-ups open for the director and supervisor), and opens a same-day task
for the doctor. Referrals are a small task model of daily care (`CareTask`) rather than
protection's follow-up tasks, which belong to an alert."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from care365.accounts.models import User
from care365.care import screening
from care365.care.access import health_consent_holds, in_area, may_screen
from care365.care.models import CareTask, Screening
from care365.care.services.common import (
    CareStateError,
    active_user,
    doctor_user_of,
    require_active_child,
    require_health_consent,
)
from care365.core.audit import audit
from care365.core.models import Notice
from care365.protection.models import Alert, Kind, Source
from care365.protection.services import alert_raise
from care365.registry.hooks import child_changed
from care365.registry.models import Child

REFERRAL_DAYS = 14  # a positive screening is seen by the doctor within two weeks
BACKDATE_DAYS = 90
SELF_HARM = "self_harm"


def screening_consent_holds(child: Child) -> bool:
    """Whether the guardian's consent to health and wellbeing screening holds (without it
    `screening_record` refuses the form): the one consent examinations need too."""
    return health_consent_holds(child)


def raise_self_harm_alert(*, actor: User, child: Child, source: str, now: datetime) -> Alert:
    """The one place daily care raises a protection alert: kind self_harm, through protection's
    own service, so its escalation, notifications and mandatory-report follow-ups apply. The note
    says where it came from and nothing of the answers (officers see no health data)."""
    return alert_raise(
        actor=actor,
        child=child,
        kind=Kind.SELF_HARM,
        note=_("Raised by a wellbeing screening: a self-harm question was answered."),
        source=source,
        now=now,
    )


def _instrument(value: str | screening.Instrument) -> screening.Instrument:
    if isinstance(value, screening.Instrument):
        return value
    try:
        return screening.builtin(value)
    except screening.InstrumentError as exc:
        raise ValidationError({"instrument": _("Choose one of the screening forms.")}) from exc


def _open_task(
    *,
    kind: str,
    child: Child,
    screening_row: Screening,
    assignee: User | None,
    due_on: date,
    now: datetime,
    actor: User,
) -> CareTask:
    task = CareTask.objects.create(
        kind=kind,
        child=child,
        screening=screening_row,
        assignee=assignee,
        created_at=now,
        due_on=due_on,
    )
    if assignee is not None and assignee.pk != actor.pk:
        Notice.objects.create(
            recipient=assignee,
            kind="care_task",
            params={"task": task.pk, "kind": kind, "child": child.pk},
        )
    return task


@transaction.atomic
def screening_record(
    *,
    actor: User,
    child: Child,
    instrument: str | screening.Instrument,
    answers: Sequence[int],
    supplementary: Mapping[str, int] | None = None,
    screened_on: date | None = None,
    source: str = Source.WEB,
    now: datetime | None = None,
) -> Screening:
    """Score and keep a completed screening form (answers as printed on the form, in item
    order). Only the child's doctor or a trained director may enter one, with the guardian's
    consent to screening."""
    user = active_user(actor)
    if not may_screen(user, child):
        raise ValidationError(
            {
                "child": _(
                    "Only the child's doctor, or a children's director trained in screening, "
                    "can enter a screening for this child."
                )
            }
        )
    require_active_child(child)
    require_health_consent(child)
    now = now or timezone.now()
    today = timezone.localdate(now)
    day = screened_on or today
    form = _instrument(instrument)
    errors: dict[str, Any] = {}
    if day > today:
        errors["screened_on"] = _("This day is in the future.")
    elif day < today - timedelta(days=BACKDATE_DAYS):
        errors["screened_on"] = _("A screening can be entered up to %(days)d days afterwards.") % {
            "days": BACKDATE_DAYS
        }
    age = child.age_on(day)
    if not form.suits_age(age):
        errors["instrument"] = _("This form is not meant for a child of %(age)d.") % {"age": age}
    if errors:
        raise ValidationError(errors)
    try:
        result = screening.score(form, list(answers), supplementary)
    except screening.AnswerError as exc:
        raise ValidationError(
            {"answers": _("The answers do not fit the form: %(error)s") % {"error": exc}}
        ) from exc
    row = Screening.objects.create(
        child=child,
        instrument=result.instrument,
        instrument_version=result.version,
        screened_on=day,
        answers=list(result.answers),
        supplementary=dict(result.supplementary),
        total=result.total,
        subscales=dict(result.subscales),
        subscale_bands=dict(result.subscale_bands),
        band=result.band,
        above_cutoff=result.above_cutoff,
        flags=list(result.flags),
        entered_by=user,
    )
    audit(
        actor=user,
        action="screening_record",
        obj=row,
        changes=["instrument", "answers", "total", "band"],
    )
    doctor = doctor_user_of(child)
    if SELF_HARM in result.flags:
        row.alert = raise_self_harm_alert(actor=user, child=child, source=source, now=now)
        row.save(update_fields=["alert"])
        _open_task(
            kind=CareTask.Kind.SELF_HARM,
            child=child,
            screening_row=row,
            assignee=doctor,
            due_on=today,
            now=now,
            actor=user,
        )
    if result.above_cutoff:
        _open_task(
            kind=CareTask.Kind.REFERRAL,
            child=child,
            screening_row=row,
            assignee=doctor,
            due_on=day + timedelta(days=REFERRAL_DAYS),
            now=now,
            actor=user,
        )
    child_changed(child.pk, today)
    return row


@transaction.atomic
def care_task_done(
    *, actor: User, task: CareTask, note: str = "", now: datetime | None = None
) -> CareTask:
    """Close a task: its assignee, or a director or supervisor of the child's area (for tasks
    nobody holds). A conditional update: of two people closing it at once, one is told it was
    already done (CareStateError)."""
    user = active_user(actor)
    if task.assignee_id != user.pk and not in_area(user, task.child):
        raise ValidationError({"task": _("This task is not yours.")})
    note = note.strip()
    if len(note) > 2000:
        raise ValidationError({"note": _("Keep this under %(n)d characters.") % {"n": 2000}})
    now = now or timezone.now()
    done = CareTask.objects.filter(pk=task.pk, state=CareTask.State.OPEN).update(
        state=CareTask.State.DONE, done_at=now, done_by=user, note=note
    )
    if not done:
        raise CareStateError(_("This task is already done."))
    task.refresh_from_db()
    audit(actor=user, action="care_task_done", obj=task, changes=["state", "note"])
    return task
