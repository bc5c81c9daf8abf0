"""Referrals (转介): a child referred to a service of an organisation of the county's network,
followed from sent to accepted or declined, and to done with what was done and the outcome
(docs/network.md).

Every step is one transaction with its audit row; a step from the wrong state is refused with
`StateConflictError` (409), by a conditional update, so two answers at once cannot both win. The
organisation's own staff record its answer, or the county's administrators on its behalf
(`may_answer_referral`); the referrer gets a notice on their home page of each answer.

The organisation is told through the outbox, in the same transaction (sending is the worker's):
of a new referral and of an overdue one by SMS to its contact, email and webhook; of every other
step by webhook only (its own system keeps in step). The messages carry the referral's number,
state, service, due date and a link, never the child.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import get_script_prefix
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from care365.accounts.models import Role, User
from care365.carers.models import Organisation, ServiceKind
from care365.core.audit import audit
from care365.core.errors import StateConflictError
from care365.core.models import Notice
from care365.core.phones import InvalidPhone, check_phone
from care365.core.validators import PHONE_ERROR
from care365.network.access import (
    may_answer_referral,
    may_refer,
    referral_organisations,
)
from care365.network.models import REASON_MAX, Referral
from care365.protection import policy
from care365.protection.models import WEBHOOK
from care365.protection.services import organisation_notify
from care365.registry.models import Child

OVERDUE_NOTICE = "referral_overdue"
# The referrer's notice that the organisation answered (accepted, declined, done).
ANSWERED_NOTICE = "referral_answered"
# The organisation's staff's notices: a new referral to it, and one past its due date.
RECEIVED_NOTICE = "referral_received"
STAFF_OVERDUE_NOTICE = "referral_overdue_staff"
# The referral's page (network/urls.py, "network:referral-detail"; a test keeps the two the same),
# written out as channels.ALERT_PATH is, so the worker loads no URLconf.
REFERRAL_PATH = "referrals/{id}/"
EVERY_CHANNEL = (policy.SMS, policy.EMAIL, WEBHOOK)


def referral_link(referral_id: int) -> str:
    """The address of the referral's page, absolute when CARE365_PUBLIC_URL is set."""
    return f"{settings.PUBLIC_URL}{get_script_prefix()}{REFERRAL_PATH.format(id=int(referral_id))}"


def _tell_organisation(
    referral: Referral,
    event: str,
    *,
    channels: tuple[str, ...] = (WEBHOOK,),
    now: datetime | None = None,
) -> int:
    """Queue what the organisation is told of `event` ("created", "overdue", "accepted",
    "declined", "done") in the caller's transaction; written in the installation's language,
    naming the referral's number and never the child."""
    link = referral_link(referral.pk)
    with translation.override(settings.LANGUAGE_CODE):
        params: dict[str, Any] = {
            "id": referral.pk,
            "service": ServiceKind(referral.service).label,
            "due": referral.due_on.isoformat(),
        }
        if event == "overdue":
            subject = _("Care365 referral #%(id)s is past its due date (%(due)s): %(service)s")
        elif event == "created":
            subject = _("Care365 referral #%(id)s: %(service)s, due %(due)s")
        else:
            params["state"] = referral.get_state_display()
            subject = _("Care365 referral #%(id)s is %(state)s: %(service)s")
        subject = subject % params
        text = "\n".join([subject, _("Open it in Care365 to answer."), link])
    data = {
        "referral": referral.pk,
        "state": referral.state,
        "service": referral.service,
        "organisation": referral.organisation_id,
        "due_on": referral.due_on.isoformat(),
        "url": link,
    }
    return organisation_notify(
        organisation=referral.organisation,
        event=f"referral.{event}",
        key=f"referral-{referral.pk}-{event}",
        subject=subject,
        text=text,
        data=data,
        channels=channels,
        now=now,
    )


def _text(errors: dict[str, list[str]], name: str, value: Any, *, required: bool) -> str:
    text = str(value or "").strip()
    if required and not text:
        errors[name] = [_("This field is required.")]
    elif len(text) > REASON_MAX:
        errors[name] = [_("Keep it under %(n)d characters.") % {"n": REASON_MAX}]
    return text


@transaction.atomic
def referral_create(
    *,
    actor: User,
    child: Child,
    organisation_id: int | None,
    service: str,
    reason: str,
    referrer_phone: str = "",
    now: datetime | None = None,
) -> Referral:
    """Refer a child (already read through the access layer) to an organisation's service.

    The referrer is registry staff of the child's area or a carer paired with the child
    (`may_refer`); the organisation is of the child's county and offers the service. Errors are
    keyed by field, in the actor's language, and nothing is written for bad input."""
    if not may_refer(actor, child):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    organisation: Organisation | None = None
    if organisation_id is not None:
        organisation = referral_organisations(child).filter(pk=organisation_id).first()
    if organisation is None:
        errors["organisation"] = [_("Choose an organisation of the child's county.")]
    if service not in ServiceKind.values:
        errors["service"] = [_("Choose a service from the list.")]
    elif organisation is not None and service not in organisation.services:
        errors["service"] = [_("This organisation does not offer this service.")]
    text = _text(errors, "reason", reason, required=True)
    phone = str(referrer_phone or "").strip()
    if phone:
        try:
            phone = check_phone(phone)
        except InvalidPhone:
            errors["referrer_phone"] = [str(PHONE_ERROR)]
    if errors:
        raise ValidationError(errors)
    assert organisation is not None  # noqa: S101  # an error above otherwise
    now = now or timezone.now()
    referral = Referral.objects.create(
        child=child,
        village_id=child.village_id,
        organisation=organisation,
        service=service,
        reason=text,
        referrer_phone=phone,
        referred_by=actor,
        created_at=now,
        due_on=timezone.localdate(now) + timedelta(days=settings.REFERRAL_DAYS),
    )
    audit(
        actor=actor,
        action="referral_create",
        obj=referral,
        changes=["child", "organisation", "service", "reason"]
        + (["referrer_phone"] if phone else []),
    )
    _tell_organisation(referral, "created", channels=EVERY_CHANNEL, now=now)
    _tell_staff(referral, RECEIVED_NOTICE)
    return referral


def _step(
    *,
    actor: User,
    referral: Referral,
    source: tuple[str, ...],
    action: str,
    values: dict[str, Any],
) -> Referral:
    if not may_answer_referral(actor, referral):
        raise PermissionDenied
    moved = Referral.objects.filter(pk=referral.pk, state__in=source).update(**values)
    if not moved:
        state = Referral.objects.filter(pk=referral.pk).values_list("state", flat=True).first()
        label = Referral.State(state).label if state else ""
        raise StateConflictError(
            _("This referral is %(state)s: it cannot be changed so.") % {"state": label}
        )
    referral.refresh_from_db()
    audit(actor=actor, action=action, obj=referral, changes=sorted(values))
    _tell_organisation(referral, str(referral.state))
    _tell_referrer(referral, actor)
    return referral


def _tell_staff(referral: Referral, kind: str) -> None:
    """A notice on the home page of each active member of the organisation's staff, in the
    caller's transaction: the referral's number and due date, never the child."""
    staff = User.objects.filter(
        role=Role.ORG_STAFF, organisation_id=referral.organisation_id, is_active=True
    ).values_list("pk", flat=True)
    Notice.objects.bulk_create(
        Notice(
            recipient_id=pk,
            kind=kind,
            params={"referral": referral.pk, "due": referral.due_on.isoformat()},
            link=f"/{REFERRAL_PATH.format(id=referral.pk)}",
        )
        for pk in staff
    )


def _tell_referrer(referral: Referral, actor: User) -> None:
    """The referrer's notice of the organisation's answer, in the caller's transaction: the
    referral's number and its new state, never the child nor what the answer says. Nobody is
    told of their own answer."""
    referrer = referral.referred_by
    if not referrer.is_active or referrer.pk == actor.pk:
        return
    Notice.objects.create(
        recipient=referrer,
        kind=ANSWERED_NOTICE,
        params={"referral": referral.pk, "state": str(referral.state)},
        link=f"/{REFERRAL_PATH.format(id=referral.pk)}",
    )


@transaction.atomic
def referral_accept(*, actor: User, referral: Referral, now: datetime | None = None) -> Referral:
    """The organisation takes the referral on (recorded by its staff, or by the county's
    administrator on its behalf)."""
    values = {
        "state": Referral.State.ACCEPTED,
        "answered_at": now or timezone.now(),
        "answered_by": actor,
    }
    return _step(
        actor=actor,
        referral=referral,
        source=(Referral.State.SENT,),
        action="referral_accept",
        values=values,
    )


@transaction.atomic
def referral_decline(
    *, actor: User, referral: Referral, reason: str, now: datetime | None = None
) -> Referral:
    """The organisation declines, with its reason; the referrer may refer the child elsewhere."""
    if not may_answer_referral(actor, referral):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    text = _text(errors, "reason", reason, required=True)
    if errors:
        raise ValidationError(errors)
    values = {
        "state": Referral.State.DECLINED,
        "answered_at": now or timezone.now(),
        "answered_by": actor,
        "decline_reason": text,
    }
    return _step(
        actor=actor,
        referral=referral,
        source=(Referral.State.SENT,),
        action="referral_decline",
        values=values,
    )


@transaction.atomic
def referral_done(
    *,
    actor: User,
    referral: Referral,
    what_done: str,
    outcome: str,
    now: datetime | None = None,
) -> Referral:
    """What the organisation did and the outcome; closes the referral. From sent (accepted and
    done at once) or accepted."""
    if not may_answer_referral(actor, referral):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    done_text = _text(errors, "what_done", what_done, required=True)
    outcome_text = _text(errors, "outcome", outcome, required=True)
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    values: dict[str, Any] = {
        "state": Referral.State.DONE,
        "done_at": now,
        "done_by": actor,
        "what_done": done_text,
        "outcome": outcome_text,
    }
    if referral.answered_at is None:
        values.update(answered_at=now, answered_by=actor)
    return _step(
        actor=actor,
        referral=referral,
        source=Referral.OPEN_STATES,
        action="referral_done",
        values=values,
    )


def referrals_remind_overdue(today: date) -> int:
    """The daily reminder: a notice to the referrer of each referral past its due date and not
    done, once per referral (`reminded_on`), naming the referral's number, never the child; the
    organisation is told too (SMS, email, webhook, and a notice to each of its staff), in the
    same transaction. Idempotent: a second
    run on the same day finds nothing left to remind."""
    due = list(
        Referral.objects.filter(
            state__in=Referral.OPEN_STATES, due_on__lt=today, reminded_on__isnull=True
        )
        .select_related("referred_by", "organisation")
        .defer("reason", "decline_reason", "what_done", "outcome")[:5000]
    )
    reminded = 0
    for referral in due:
        with transaction.atomic():
            claimed = Referral.objects.filter(pk=referral.pk, reminded_on__isnull=True).update(
                reminded_on=today
            )
            if not claimed:
                continue
            _tell_organisation(referral, "overdue", channels=EVERY_CHANNEL)
            _tell_staff(referral, STAFF_OVERDUE_NOTICE)
            if not referral.referred_by.is_active:
                continue
            Notice.objects.create(
                recipient_id=referral.referred_by_id,
                kind=OVERDUE_NOTICE,
                params={"referral": referral.pk, "due": referral.due_on.isoformat()},
                link=f"/referrals/{referral.pk}/",
            )
            reminded += 1
    return reminded


def referral_village_sync(child_id: int, village_id: int) -> None:
    """The registry's `on_child_moved` listener, called in the move's transaction: the child's
    referrals follow the child to their new village (the new village's director sees them, the
    old one's no longer does)."""
    Referral.objects.filter(child_id=child_id).exclude(village_id=village_id).update(
        village_id=village_id
    )
