"""Children's Day and festival gifts (docs/care.md, "Gifts"): planned per child (what, its value,
the donor organisation), delivered, and confirmed with the child; or not delivered, with why.
And the donor's thanks, with its totals, through the notification outbox.

Planning takes many children at once (every child of a village or a township, or a chosen few)
and skips those who already have a gift at the event: one gift per child per event, which the
database holds too. Each later step is a conditional update on the gift's state, so of two
people marking the same gift at once one wins and the other is told its state (409)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from care365.accounts.access import county_for_admin
from care365.accounts.models import User
from care365.care.access import (
    DONOR_KINDS,
    donors_for_user,
    may_mark_gift,
    may_plan_gift,
    plans_gifts,
)
from care365.care.models import (
    GIFT_EVENT_KINDS,
    GIFT_REASON_MAX,
    GIFT_VALUE_MAX,
    GIFT_WHAT_MAX,
    CareEvent,
    Gift,
)
from care365.care.selectors.gifts import DonorTotals, donor_totals
from care365.care.services.common import active_user
from care365.carers.models import Organisation
from care365.core.audit import audit
from care365.core.errors import StateConflictError
from care365.protection import policy
from care365.protection.models import Notification
from care365.protection.services import organisation_notify
from care365.registry.models import Child

NOTE_MAX = 500
# The languages the thanks is written in, one after the other: the county's own first.
THANKS_LANGUAGES = ("zh-hans", "en")


@dataclass(frozen=True)
class GiftPlanResult:
    planned: list[Gift]
    already: int  # children of the plan who had a gift at the event already (skipped)


@transaction.atomic
def gift_plan(
    *,
    actor: User,
    event: CareEvent,
    children: Iterable[Child],
    what: str,
    value_yuan: int | None = None,
    donor: Organisation | None = None,
    now: datetime | None = None,
) -> GiftPlanResult:
    """Plan a gift for each of `children` at a Children's Day or festival: by their director,
    supervisor or county administrator, for active children of their area who live in the
    event's area. A child who already has a gift at the event is skipped (and counted)."""
    user = active_user(actor)
    if not plans_gifts(user):
        raise PermissionDenied
    chosen = list({c.pk: c for c in children}.values())
    errors: dict[str, Any] = {}
    if event.kind not in GIFT_EVENT_KINDS:
        errors["event"] = _("Gifts are planned for a Children's Day or a festival.")
    what = what.strip()
    if not what:
        errors["what"] = _("Say what the gift is.")
    elif len(what) > GIFT_WHAT_MAX:
        errors["what"] = _("Keep this under %(n)d characters.") % {"n": GIFT_WHAT_MAX}
    if value_yuan is not None and (
        isinstance(value_yuan, bool)
        or not isinstance(value_yuan, int)
        or not 1 <= value_yuan <= GIFT_VALUE_MAX
    ):
        errors["value_yuan"] = _("Give a value from 1 to %(max)d yuan, or none.") % {
            "max": GIFT_VALUE_MAX
        }
    if donor is not None and not donors_for_user(user).filter(pk=donor.pk).exists():
        errors["donor"] = _("Choose a donor organisation of your county.")
    if not chosen:
        errors["children"] = _("Choose the children to plan a gift for.")
    elif any(not may_plan_gift(user, event, c) for c in chosen):
        errors["children"] = _(
            "Some of these children are not of your area, not of the event's area, or have "
            "left the registry."
        )
    if errors:
        raise ValidationError(errors)
    have = set(
        Gift.objects.filter(event=event, child_id__in=[c.pk for c in chosen]).values_list(
            "child_id", flat=True
        )
    )
    at = now or timezone.now()
    planned = Gift.objects.bulk_create(
        [
            Gift(
                event=event,
                child=child,
                what=what,
                value_yuan=value_yuan,
                donor=donor,
                planned_by=user,
                planned_at=at,
            )
            for child in chosen
            if child.pk not in have
        ],
        batch_size=500,
    )
    for gift in planned:
        audit(actor=user, action="gift_plan", obj=gift, changes=["what", "value_yuan", "donor"])
    return GiftPlanResult(planned=planned, already=len(have))


def _move(gift: Gift, *, user: User, source: str, target: str, action: str, **fields: Any) -> Gift:
    moved = Gift.objects.filter(pk=gift.pk, state=source).update(state=target, **fields)
    if not moved:
        current = Gift.objects.filter(pk=gift.pk).values_list("state", flat=True).first()
        raise StateConflictError(
            _("This gift is already %(state)s.")
            % {"state": Gift.State(current).label if current else _("gone")}
        )
    gift.refresh_from_db()
    audit(actor=user, action=action, obj=gift, changes=["state", *sorted(fields)])
    return gift


def _require_marker(user: User, gift: Gift) -> None:
    if not may_mark_gift(user, gift):
        raise PermissionDenied


@transaction.atomic
def gift_deliver(*, actor: User, gift: Gift, now: datetime | None = None) -> Gift:
    """The gift reached the child: said by the child's volunteer, director, supervisor or
    county administrator."""
    user = active_user(actor)
    _require_marker(user, gift)
    return _move(
        gift,
        user=user,
        source=Gift.State.PLANNED,
        target=Gift.State.DELIVERED,
        action="gift_deliver",
        delivered_at=now or timezone.now(),
        delivered_by=user,
    )


@transaction.atomic
def gift_confirm(*, actor: User, gift: Gift, note: str = "", now: datetime | None = None) -> Gift:
    """Confirmed with the child that the gift came to them: by someone who sees the child (the
    child's volunteer, director, supervisor or county administrator), never the donor."""
    user = active_user(actor)
    _require_marker(user, gift)
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": _("Keep this under %(n)d characters.") % {"n": NOTE_MAX}})
    fields: dict[str, Any] = {"confirmed_at": now or timezone.now(), "confirmed_by": user}
    if note:
        fields["note"] = note
    return _move(
        gift,
        user=user,
        source=Gift.State.DELIVERED,
        target=Gift.State.CONFIRMED,
        action="gift_confirm",
        **fields,
    )


@transaction.atomic
def gift_not_delivered(
    *, actor: User, gift: Gift, reason: str, now: datetime | None = None
) -> Gift:
    """A planned gift that will not reach the child (moved away, the gift never came...),
    with why: by the child's volunteer, director, supervisor or county administrator."""
    user = active_user(actor)
    _require_marker(user, gift)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the gift was not delivered.")})
    if len(reason) > GIFT_REASON_MAX:
        raise ValidationError(
            {"reason": _("Keep this under %(n)d characters.") % {"n": GIFT_REASON_MAX}}
        )
    return _move(
        gift,
        user=user,
        source=Gift.State.PLANNED,
        target=Gift.State.NOT_DELIVERED,
        action="gift_not_delivered",
        reason=reason,
    )


def _thanks_text(totals: DonorTotals, county_name: str) -> tuple[str, str]:
    """The thanks' subject and body in the current language: the totals, by event and by
    township, with small cells as "<5"; never a child."""
    t = totals.total
    subject = _("Thank you from %(county)s: %(gifts)d gifts for our children") % {
        "county": county_name,
        "gifts": t.gifts,
    }
    lines = [
        _("Dear %(name)s,") % {"name": totals.organisation.name},
        _(
            "Thank you for your gifts to the left-behind children of %(county)s: %(gifts)d "
            "gifts worth %(value)d yuan in all. %(delivered)d have reached the children, and "
            "%(confirmed)d were confirmed with the children themselves."
        )
        % {
            "county": county_name,
            "gifts": t.gifts,
            "value": t.value_yuan,
            "delivered": t.delivered,
            "confirmed": t.confirmed,
        },
        "",
        _("By event:"),
    ]
    for row in totals.by_event:
        shown = row.figures.shown()
        lines.append(
            _("- %(title)s (%(day)s): %(gifts)s gifts, %(value)s yuan, %(delivered)s delivered")
            % {
                "title": row.label,
                "day": row.held_on.isoformat() if row.held_on else "",
                "gifts": shown["gifts"],
                "value": shown["value_yuan"],
                "delivered": shown["delivered"],
            }
        )
    lines += ["", _("By township:")]
    for row in totals.by_township:
        shown = row.figures.shown()
        lines.append(
            _("- %(township)s: %(gifts)s gifts, %(delivered)s delivered")
            % {"township": row.label, "gifts": shown["gifts"], "delivered": shown["delivered"]}
        )
    lines += [
        "",
        _('Figures below 5 are shown as "<5" to protect the children\'s privacy.'),
    ]
    return subject, "\n".join(lines)


@transaction.atomic
def donor_thank(*, actor: User, organisation: Organisation, now: datetime | None = None) -> int:
    """Thank a donor organisation, by email to its contact, with its totals for the county's
    children (`donor_totals`): in Chinese and in English, one after the other. By the county's
    administrator only; queued in the outbox in this transaction, never naming a child.
    Returns how many messages were queued."""
    user = active_user(actor)
    county = county_for_admin(user)
    if county is None:
        raise PermissionDenied
    if organisation.kind not in DONOR_KINDS or not organisation.area.code.startswith(county.code):
        raise PermissionDenied
    if not organisation.contact_email:
        raise ValidationError(
            {"organisation": _("This organisation has no contact email: add one first.")}
        )
    totals = donor_totals(organisation, county=county)
    if not totals.total.gifts:
        raise ValidationError({"organisation": _("This organisation has given no gifts yet.")})
    at = now or timezone.now()
    subjects, bodies = [], []
    for language in THANKS_LANGUAGES:
        with translation.override(language):
            subject, body = _thanks_text(totals, county.name)
        subjects.append(subject)
        bodies.append(body)
    figures = hashlib.sha256("\n".join(bodies).encode()).hexdigest()[:16]
    queued = organisation_notify(
        organisation=organisation,
        event="donor.thanks",
        # Once a day for the same figures: a second click, or the same thanks again an hour
        # later, sends nothing; new gifts make new figures and a new thanks.
        key=f"donor-thanks-{organisation.pk}-{county.pk}-{at:%Y%m%d}-{figures}",
        subject=" / ".join(subjects),
        text="\n\n----\n\n".join(bodies),
        data={},
        channels=(policy.EMAIL,),
        now=at,
        kind=Notification.Kind.DONOR_THANKS,
    )
    audit(actor=user, action="donor_thank", obj=organisation, note=f"{queued} queued")
    return queued
