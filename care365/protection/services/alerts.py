"""Raising an alert and answering it; the county's policy, duty shifts, contacts and follow-ups.

Every write is one transaction that also records the step in the alert's events (the child's
incident record) and writes the audit row. Answering is a conditional update of the alert's row
on its state (`UPDATE ... WHERE state IN (earlier states)`), the same kind of update the sweeper
escalates with, so an acknowledgement and an escalation step never both win, and two responders
pressing "acknowledge" at once get one acknowledgement and one conflict.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from care365.accounts.models import REGISTRY_ROLES, Role, User
from care365.areas.models import Area
from care365.carers.models import Carer, CarerRole, Organisation
from care365.core import crypto
from care365.core.audit import audit
from care365.core.errors import StateConflictError
from care365.core.validators import validate_phone
from care365.pairing.models import Pairing
from care365.protection import policy
from care365.protection.access import alerts_for_user, can_answer
from care365.protection.channels import mask_phone, normalise_phone
from care365.protection.models import (
    Alert,
    AlertEvent,
    DutyShift,
    EscalationPolicy,
    FollowUpTask,
    HelpLink,
    Kind,
    Resolution,
    ResponderContact,
    Source,
    State,
    Told,
)
from care365.protection.recipients import Recipients, stations_of
from care365.protection.services.steps import (
    Emitter,
    Message,
    county_id_of,
    logger,
    notify_state,
    policy_for,
    queue_step,
    step_messages,
)
from care365.registry.hooks import child_changed
from care365.registry.models import Child

EventKind = AlertEvent.Kind
NOTE_MAX = 2000
MAX_SHIFT = timedelta(hours=48)


class AlertStateError(StateConflictError):
    """The alert is no longer in a state this action applies to (someone else answered first,
    or it is resolved). The API answers 409."""


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _active_user(actor: User) -> User:
    if not isinstance(actor, User) or not actor.is_active or not actor.role:
        raise PermissionDenied
    return actor


def _check_kind_and_note(kind: str, note: str) -> None:
    if kind not in Kind.values:
        raise ValidationError({"kind": _("Choose a kind of alert.")})
    if len(note) > NOTE_MAX:
        raise ValidationError(
            {"note": _("Keep the note under %(n)d characters.") % {"n": NOTE_MAX}}
        )


def _open_follow_ups(alert: Alert, *, now: datetime, emitter: Emitter) -> list[FollowUpTask]:
    """A mandatory report opens a follow-up task for each village director and township
    supervisor of the child; a role nobody holds gets an unassigned task the county's
    administrators see."""
    village = alert.village
    assert alert.child_id is not None and village is not None  # noqa: S101  # callers ensure
    tasks: list[FollowUpTask] = []
    for role, area_id in ((Role.DIRECTOR, village.pk), (Role.SUPERVISOR, village.parent_id)):
        assignees: list[User | None] = list(
            User.objects.filter(is_active=True, role=role, area_id=area_id or 0).order_by("pk")
        )
        for user in assignees or [None]:
            tasks.append(
                FollowUpTask(
                    alert=alert,
                    child_id=alert.child_id,
                    assignee=user,
                    role=role,
                    created_at=now,
                )
            )
    FollowUpTask.objects.bulk_create(tasks)
    emitter.record(
        AlertEvent(alert=alert, kind=EventKind.FOLLOW_UP_OPENED, at=now, data={"tasks": len(tasks)})
    )
    for task in tasks:
        if task.assignee_id is not None:
            emitter.add(task.assignee_id, "follow_up", {"alert": alert.pk, "task": task.pk})
    return tasks


POLICE_STEPS = (policy.ASSIGNED_OFFICER, policy.STATION_DUTY_OFFICER)


def _told(
    alert: Alert, who: str, recipients: Recipients, desk: EscalationPolicy | None, reached: bool
) -> Told:
    if not reached:
        return Told()
    if who == policy.ASSIGNED_OFFICER and alert.assigned_officer is not None:
        return Told(who=who, officer=alert.assigned_officer.name)
    if who == policy.STATION_DUTY_OFFICER:
        targets = recipients.targets(alert, who, desk=desk)
        return Told(
            who=who,
            stations=tuple(s.name for s in stations_of(alert)),
            officers=len({t.user_id for t in targets if t.user_id is not None}),
        )
    return Told(who=who)


def raise_alert(
    *,
    child: Child | None,
    county_id: int,
    kind: str,
    note: str,
    source: str,
    raised_by: User | None,
    now: datetime,
    sender_phone: str = "",
    village: Area | None = None,
) -> Alert:
    """Create an alert, fire its first step and set its first deadline (inside the caller's
    transaction). A step nobody can be reached at (a child without an officer) passes straight
    on to the next one, so the first person who can answer hears of it at once.

    Without a child, `village` (a public report of a child the registry does not know) makes
    the alert start where a child's does: at the police covering that village; without either
    (an SMS from an unknown number) it starts at the county duty desk."""
    pol, desk = policy_for(county_id)
    place = child.village if child is not None else village
    officer = None
    if child is not None:
        pairing = (
            Pairing.objects.filter(child=child, role=CarerRole.POLICE, until__isnull=True)
            .select_related("carer")
            .first()
        )
        officer = pairing.carer if pairing is not None else None
    start = 0 if place is not None else pol.start_level(policy.COUNTY_DUTY_DESK)
    alert = Alert(
        child=child,
        county_id=county_id,
        village=place,
        kind=kind,
        note=note,
        source=source,
        raised_by=raised_by,
        raised_at=now,
        sender_phone=sender_phone,
        sender_masked=mask_phone(sender_phone) if sender_phone else "",
        sender_hash=crypto.lookup_hash(sender_phone) if sender_phone else "",
        assigned_officer=officer,
        policy=policy.to_dict(pol),
        level=start,
    )
    # Who each level reaches is known before the alert is written, so it is written once, at
    # the first level somebody can be reached at, with that level's deadline.
    # A child's alert reaches the police at once: the paired officer, else the stations that
    # cover the village; with neither, it goes straight to the county duty desk (which
    # dispatches the police) rather than to the next people on the list.
    recipients = Recipients(now)
    levels: list[tuple[int, list[Message]]] = []
    desk_level = pol.start_level(policy.COUNTY_DUTY_DESK)
    level = start
    while level <= pol.last:
        step = pol.step_at(level)
        if (
            place is not None
            and step.who not in POLICE_STEPS
            and level < desk_level
            and not any(pol.step_at(i).who in POLICE_STEPS for i in range(level, desk_level))
        ):
            level = desk_level
            continue
        messages = step_messages(step, recipients.targets(alert, step.who, desk=desk))
        levels.append((level, messages))
        if messages:
            break
        level += 1
    alert.level = levels[-1][0]
    alert.told = _told(alert, pol.step_at(alert.level).who, recipients, desk, bool(levels[-1][1]))
    alert.next_step_at = policy.first_deadline(pol, alert.level, now)
    alert.save(force_insert=True)
    emitter = Emitter(now)
    for level, messages in levels:
        first = level == levels[0][0]
        queue_step(
            alert,
            pol,
            level,
            messages,
            now=now,
            due_at=None if first else now,
            event_kind=EventKind.RAISED if first else EventKind.ESCALATED,
            actor_id=raised_by.pk if first and raised_by is not None else None,
            emitter=emitter,
        )
    if alert.is_mandatory_report and child is not None:
        _open_follow_ups(alert, now=now, emitter=emitter)
    emitter.flush()
    alert.written = emitter.written
    audit(actor=raised_by, action="alert_raise", obj=alert, note=f"{kind} via {source}")
    if child is not None:
        child_changed(child.pk, timezone.localdate(now))  # the child's risk score, for one
    logger.info("alert #%s raised: %s via %s, level %s", alert.pk, kind, source, alert.level)
    return alert


def alert_raise(
    *,
    actor: User,
    child: Child,
    kind: str,
    note: str = "",
    source: str = Source.WEB,
    now: datetime | None = None,
) -> Alert:
    """Raise an alert for a child from a Care365 page or the API.

    `child` must come from the access layer (`child_get_for_user(actor, ...)`): whoever may see
    the child may raise an alert for it. The assigned officer (the child's open police pairing)
    is notified at once, in the app, by SMS and by email (the county's policy decides), in the
    same transaction that creates the alert; the first escalation deadline is set with it.
    Mandatory-report kinds (强制报告) also open follow-up tasks for the village director and the
    township supervisor, and the reporter is hidden from everyone but county administrators.
    """
    account = _active_user(actor)
    if source not in (Source.WEB, Source.API):
        raise ValueError("alert_raise is for pages and the API; use the help-link or SMS intake")
    note = note.strip()
    _check_kind_and_note(kind, note)
    if not child.is_active:
        raise ValidationError(_("This child has left the registry."))
    county_id = county_id_of(child.village)
    now = _now(now)
    with transaction.atomic():
        # One raise for a child at a time, in every process: the open alert found below and
        # the one written otherwise cannot race.
        Child.objects.select_for_update().filter(pk=child.pk).first()
        existing = _open_alert_to_fold(account, child, kind, now)
        if existing is not None:
            from care365.protection.services.intake import (
                fold_repeat,  # intake raises through this module
            )

            folded = fold_repeat(existing, now=now, source=source, note=note)
            folded.told = Told(again=folded.request_count)
            audit(
                actor=account, action="alert_raise_again", obj=folded, note=f"{kind} via {source}"
            )
            return folded
        return raise_alert(
            child=child,
            county_id=county_id,
            kind=kind,
            note=note,
            source=source,
            raised_by=account,
            now=now,
        )


def _open_alert_to_fold(account: User, child: Child, kind: str, now: datetime) -> Alert | None:
    """The child's open alert of the same kind, raised within the repeat window, that the
    raiser may see: a second raise is folded into it ("raised again") instead of starting a
    second escalation of the same thing."""
    from care365.protection.services.intake import REPEAT_WINDOW

    return (
        alerts_for_user(account)
        .filter(child=child, kind=kind, raised_at__gte=now - REPEAT_WINDOW)
        .exclude(state=State.RESOLVED)
        .order_by("-raised_at", "-pk")
        .first()
    )


def _answer(
    *,
    actor: User,
    alert: Alert,
    target: str,
    now: datetime | None,
    note: str = "",
    extra: Mapping[str, Any] | None = None,
) -> Alert:
    """Move an alert forward to `target` by a conditional update; stop its escalation."""
    account = _active_user(actor)
    # The raiser does not answer their own alert while it is open: that would stop the
    # escalation before any responder heard of it (`selectors.can_answer`).
    if not can_answer(account, alert):
        raise PermissionDenied
    own = alert.raised_by_id == account.pk
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise ValidationError(
            {"note": _("Keep the note under %(n)d characters.") % {"n": NOTE_MAX}}
        )
    now = _now(now)
    updates: dict[str, Any] = {"state": target, "next_step_at": None, **(extra or {})}
    updates[f"{target}_at"] = now
    updates[f"{target}_by"] = account
    with transaction.atomic():
        movable = Alert.objects.filter(pk=alert.pk, state__in=policy.allowed_from(target))
        if own:
            movable = movable.exclude(state=State.OPEN)
        moved = movable.update(**updates)
        if not moved:
            current = Alert.objects.filter(pk=alert.pk).values_list("state", flat=True).first()
            raise AlertStateError(
                _("This alert is already %(state)s.")
                % {"state": State(current).label if current else _("gone")}
            )
        # Any answer acknowledges: the time to acknowledge is the time to the first answer.
        Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=now, acknowledged_by=account
        )
        # Only what the answer (or a step that fired meanwhile) changed: the child and the rows
        # loaded with the alert by the access layer stay as they were read.
        fields = dict.fromkeys([*updates, "level", "acknowledged_at", "acknowledged_by"])
        alert.refresh_from_db(fields=list(fields))
        data: dict[str, Any] = {"note": note} if note else {}
        if extra and "resolution" in extra:
            data["resolution"] = extra["resolution"]
        AlertEvent.objects.create(
            alert=alert, kind=target, at=now, level=alert.level, actor=account, data=data
        )
        emitter = Emitter(now)
        notify_state(alert, emitter)
        emitter.flush()
        audit(actor=account, action=f"alert_{target}", obj=alert)
        if target == State.RESOLVED and alert.child_id is not None:
            child_changed(alert.child_id, timezone.localdate(now))
    logger.info("alert #%s %s", alert.pk, target)
    return alert


def alert_acknowledge(
    *, actor: User, alert: Alert, note: str = "", now: datetime | None = None
) -> Alert:
    """Acknowledge an open alert: the escalation stops. AlertStateError if it was already
    answered; PermissionDenied for someone who may not answer it (`selectors.can_answer`)."""
    return _answer(actor=actor, alert=alert, target=State.ACKNOWLEDGED, now=now, note=note)


def alert_on_the_way(
    *, actor: User, alert: Alert, note: str = "", now: datetime | None = None
) -> Alert:
    """ "On my way" (acknowledges the alert if nobody had)."""
    return _answer(actor=actor, alert=alert, target=State.ON_THE_WAY, now=now, note=note)


def alert_with_child(
    *, actor: User, alert: Alert, note: str = "", now: datetime | None = None
) -> Alert:
    """Somebody is with the child: the time to reach the child is counted to here."""
    return _answer(actor=actor, alert=alert, target=State.WITH_CHILD, now=now, note=note)


def alert_resolve(
    *,
    actor: User,
    alert: Alert,
    resolution: str,
    note: str = "",
    now: datetime | None = None,
) -> Alert:
    """Close the alert: safe, referred, handed to a police case, or a false alarm, with a note."""
    if resolution not in Resolution.values:
        raise ValidationError({"resolution": _("Choose how the alert was resolved.")})
    note = note.strip()
    return _answer(
        actor=actor,
        alert=alert,
        target=State.RESOLVED,
        now=now,
        note=note,
        extra={"resolution": resolution, "resolution_note": note},
    )


@transaction.atomic
def follow_up_done(
    *, actor: User, task: FollowUpTask, note: str = "", now: datetime | None = None
) -> FollowUpTask:
    """Close a follow-up task: its assignee or a county administrator of the alert's county."""
    account = _active_user(actor)
    admin = account.role == Role.COUNTY_ADMIN and account.area_id == task.alert.county_id
    if task.assignee_id != account.pk and not admin:
        raise PermissionDenied
    now = _now(now)
    done = FollowUpTask.objects.filter(pk=task.pk, state=FollowUpTask.State.OPEN).update(
        state=FollowUpTask.State.DONE, done_at=now, done_by=account, note=note.strip()[:NOTE_MAX]
    )
    if not done:
        raise AlertStateError(_("This task is already done."))
    task.refresh_from_db()
    audit(actor=account, action="follow_up_done", obj=task)
    return task


def _county_admin(actor: User, county: Area) -> User:
    account = _active_user(actor)
    if account.role != Role.COUNTY_ADMIN or account.area_id != county.pk:
        raise PermissionDenied
    return account


@transaction.atomic
def escalation_policy_update(
    *,
    actor: User,
    county: Area,
    steps: Any,
    repeat_seconds: Any,
    desk_phone: str = "",
    desk_email: str = "",
    desk_users: Iterable[User] = (),
    sms_number: str = "",
) -> EscalationPolicy:
    """Replace the county's escalation policy (county administrators of that county only).

    `steps` and `repeat_seconds` are the policy's JSON form (docs/protection.md); a policy that
    cannot be used is refused with a ValidationError naming the problem. Alerts already under way
    keep the policy they were raised under. `sms_number` is the county's SMS help number (the
    webhook routes a message from an unknown number by it); one county per number.
    """
    account = _county_admin(actor, county)
    try:
        parsed = policy.parse({"steps": steps, "repeat_seconds": repeat_seconds})
    except policy.PolicyError as exc:
        raise ValidationError({"steps": str(exc)}) from exc
    try:
        validate_phone(desk_phone)
    except ValidationError as exc:
        raise ValidationError({"desk_phone": exc.messages}) from exc
    desk_phone = normalise_phone(desk_phone)
    help_number = normalise_phone(sms_number)
    if sms_number.strip() and not 5 <= len(help_number) <= 15:
        raise ValidationError({"sms_number": _("Enter a phone number.")})
    if (
        help_number
        and EscalationPolicy.objects.filter(sms_number=help_number).exclude(county=county).exists()
    ):
        raise ValidationError({"sms_number": _("This number is another county's SMS help number.")})
    desk_email = desk_email.strip()
    if desk_email:
        try:
            validate_email(desk_email)
        except ValidationError as exc:
            raise ValidationError({"desk_email": exc.messages}) from exc
    staff = list(desk_users)
    county_areas = Area.objects.filter(code__startswith=county.code)
    if any(
        not u.is_active or u.area_id is None or not county_areas.filter(pk=u.area_id).exists()
        for u in staff
    ):
        raise ValidationError(
            {"desk_users": _("Duty desk staff must be active users of the county.")}
        )
    document = policy.to_dict(parsed)
    row, _created = EscalationPolicy.objects.update_or_create(
        county=county,
        defaults={
            "steps": document["steps"],
            "repeat_seconds": document["repeat_seconds"],
            "desk_phone": desk_phone,
            "desk_email": desk_email,
            "sms_number": help_number,
            "updated_by": account,
        },
    )
    row.desk_users.set(staff)
    audit(actor=account, action="escalation_policy_update", obj=row)
    return row


@transaction.atomic
def duty_shift_add(
    *,
    actor: User,
    station: Organisation,
    officer: Carer,
    starts_at: datetime,
    ends_at: datetime,
) -> DutyShift:
    """Put an officer of the station on duty for a time (at most 48 hours): the second step of
    the escalation reaches them. County administrators, and the station's own officers."""
    account = _active_user(actor)
    own_station = (
        account.role == Role.POLICE
        and account.carer is not None
        and account.carer.organisation_id == station.pk
    )
    county_admin = (
        account.role == Role.COUNTY_ADMIN
        and account.area is not None
        and station.area.code.startswith(account.area.code)
    )
    if not (own_station or county_admin):
        raise PermissionDenied
    if station.kind != Organisation.Kind.POLICE_STATION:
        raise ValidationError({"station": _("Choose a police station.")})
    if officer.role != CarerRole.POLICE or officer.organisation_id != station.pk:
        raise ValidationError({"officer": _("Choose an officer of this station.")})
    if not starts_at < ends_at <= starts_at + MAX_SHIFT:
        raise ValidationError({"ends_at": _("A shift ends after it starts, within 48 hours.")})
    shift = DutyShift.objects.create(
        station=station, officer=officer, starts_at=starts_at, ends_at=ends_at, created_by=account
    )
    audit(actor=account, action="duty_shift_add", obj=shift)
    return shift


@transaction.atomic
def responder_contact_set(*, actor: User, user: User, phone: str) -> ResponderContact:
    """The phone alert SMS reach a supervisor, director or desk member on: set by themselves
    or by a county administrator."""
    account = _active_user(actor)
    if account.pk != user.pk and not (
        account.role == Role.COUNTY_ADMIN
        and account.area is not None
        and user.area is not None
        and user.area.code.startswith(account.area.code)
    ):
        raise PermissionDenied
    number = normalise_phone(phone)
    if phone.strip() and not 5 <= len(number) <= 15:
        raise ValidationError({"phone": _("Enter a phone number.")})
    contact, _created = ResponderContact.objects.update_or_create(
        user=user, defaults={"phone": number}
    )
    audit(actor=account, action="responder_contact_set", obj=user, changes=["phone"])
    return contact


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@transaction.atomic
def help_link_issue(
    *, actor: User, child: Child, now: datetime | None = None
) -> tuple[HelpLink, str]:
    """Issue the family's help link for a child (directors, supervisors, county admins; the child
    from the access layer). The previous link stops working. Returns the link and its secret
    token: the token exists only here, to be printed as the QR code."""
    account = _active_user(actor)
    if account.role not in REGISTRY_ROLES:
        raise PermissionDenied
    if not child.is_active:
        raise ValidationError(_("This child has left the registry."))
    now = _now(now)
    HelpLink.objects.filter(child=child, revoked_at__isnull=True).update(revoked_at=now)
    token = secrets.token_urlsafe(24)
    link = HelpLink.objects.create(
        child=child, token_hash=_token_hash(token), created_at=now, created_by=account
    )
    audit(actor=account, action="help_link_issue", obj=link)
    return link, token


@transaction.atomic
def help_link_revoke(*, actor: User, link: HelpLink, now: datetime | None = None) -> None:
    """Stop a help link from working (a lost card); a new one can be issued."""
    account = _active_user(actor)
    if account.role not in REGISTRY_ROLES:
        raise PermissionDenied
    HelpLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=_now(now))
    audit(actor=account, action="help_link_revoke", obj=link)
