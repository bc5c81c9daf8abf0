"""Small wishes (微心愿): posted for a child, claimed by a volunteer or donor, delivered and then
confirmed with the child; and care events such as the Children's Day gifts.

Each step of a wish is a conditional update on its state (`UPDATE ... WHERE state = ...`), so of
two people claiming the same wish at once one gets it and the other is told it is taken."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from care365.accounts.access import areas_for_user, county_of_user
from care365.accounts.models import REGISTRY_ROLES, User
from care365.areas.models import Area
from care365.care.access import (
    WISH_CONSENTS,
    _cares_for,
    _keeps,
    _may_confirm,
    _may_deliver,
    _may_release,
    _may_withdraw,
    in_area,
)
from care365.care.models import GIFT_EVENT_KINDS, CareEvent, Wish
from care365.care.selectors.scope import county_of_village
from care365.care.services.common import CareStateError, active_user, require_active_child
from care365.core.audit import audit
from care365.registry.models import Child, Consent

WHAT_MAX = 200
COST_MAX = 5000
NOTE_MAX = 500
PLAN_AHEAD = timedelta(days=366)


def _move(
    wish: Wish, *, user: User, source: Iterable[str], target: str, action: str, **fields: Any
) -> Wish:
    moved = Wish.objects.filter(pk=wish.pk, state__in=list(source)).update(state=target, **fields)
    if not moved:
        current = Wish.objects.filter(pk=wish.pk).values_list("state", flat=True).first()
        raise CareStateError(
            _("This wish is already %(state)s.")
            % {"state": Wish.State(current).label if current else _("gone")}
        )
    wish.refresh_from_db()
    audit(actor=user, action=action, obj=wish, changes=["state", *sorted(fields)])
    return wish


@transaction.atomic
def wish_post(
    *,
    actor: User,
    child: Child,
    what: str,
    cost_yuan: int | None,
    note: str = "",
    now: datetime | None = None,
) -> Wish:
    """Post a child's wish: by a director or supervisor of the child's area, or the child's
    volunteer. The guardian must have agreed to share with volunteers (the board shows it)."""
    user = active_user(actor)
    if not _cares_for(user, child):
        raise ValidationError({"child": _("You can post wishes only for children you care for.")})
    require_active_child(child)
    if not Consent.objects.filter(
        child=child, purpose__in=WISH_CONSENTS, withdrawn_on__isnull=True
    ).exists():
        raise ValidationError(
            {
                "child": _(
                    "The guardian has not agreed to share this child's wishes with volunteers."
                )
            }
        )
    errors: dict[str, Any] = {}
    what = what.strip()
    if not what:
        errors["what"] = _("Say what the child wishes for.")
    elif len(what) > WHAT_MAX:
        errors["what"] = _("Keep this under %(n)d characters.") % {"n": WHAT_MAX}
    if (
        cost_yuan is None
        or isinstance(cost_yuan, bool)
        or not isinstance(cost_yuan, int)
        or not 1 <= cost_yuan <= COST_MAX
    ):
        errors["cost_yuan"] = _("Give a rough cost from 1 to %(max)d yuan.") % {"max": COST_MAX}
    if len(note) > NOTE_MAX:
        errors["note"] = _("Keep this under %(n)d characters.") % {"n": NOTE_MAX}
    if errors:
        raise ValidationError(errors)
    assert cost_yuan is not None  # noqa: S101  # checked above, for the type checker
    wish = Wish.objects.create(
        child=child,
        what=what,
        cost_yuan=cost_yuan,
        note=note.strip(),
        posted_by=user,
        posted_at=now or timezone.now(),
    )
    audit(actor=user, action="wish_post", obj=wish, changes=["what", "cost_yuan"])
    return wish


@transaction.atomic
def wish_claim(
    *, actor: User, wish: Wish, donor_name: str = "", now: datetime | None = None
) -> Wish:
    """Claim an open wish: anyone working in the child's county for themself, or a director or
    supervisor of the child's area on behalf of a donor without an account (`donor_name`)."""
    user = active_user(actor)
    child = wish.child
    require_active_child(child)
    donor_name = donor_name.strip()
    if donor_name:
        if not _keeps(user, child):
            raise ValidationError(
                {"donor_name": _("Only the child's director or supervisor can claim for a donor.")}
            )
        if len(donor_name) > 100:
            raise ValidationError(
                {"donor_name": _("Keep this under %(n)d characters.") % {"n": 100}}
            )
    else:
        county = county_of_user(user)
        if county is None or county.pk != county_of_village(child.village).pk:
            raise ValidationError({"wish": _("You can claim wishes of your own county only.")})
    return _move(
        wish,
        user=user,
        source=[Wish.State.OPEN],
        target=Wish.State.CLAIMED,
        action="wish_claim",
        claimed_by=user,
        donor_name=donor_name,
        claimed_at=now or timezone.now(),
    )


@transaction.atomic
def wish_release(*, actor: User, wish: Wish) -> Wish:
    """Give a claimed wish back to the board (the claimer, or the child's director)."""
    user = active_user(actor)
    if not _may_release(user, wish):
        raise ValidationError({"wish": _("Only whoever claimed this wish can give it back.")})
    return _move(
        wish,
        user=user,
        source=[Wish.State.CLAIMED],
        target=Wish.State.OPEN,
        action="wish_release",
        claimed_by=None,
        donor_name="",
        claimed_at=None,
    )


@transaction.atomic
def wish_deliver(*, actor: User, wish: Wish, now: datetime | None = None) -> Wish:
    """The gift reached the child: said by the claimer, the child's volunteer or director."""
    user = active_user(actor)
    if not _may_deliver(user, wish):
        raise ValidationError({"wish": _("You cannot mark this wish delivered.")})
    return _move(
        wish,
        user=user,
        source=[Wish.State.CLAIMED],
        target=Wish.State.DELIVERED,
        action="wish_deliver",
        delivered_at=now or timezone.now(),
        delivered_by=user,
    )


@transaction.atomic
def wish_confirm(*, actor: User, wish: Wish, note: str = "", now: datetime | None = None) -> Wish:
    """Confirmed with the child that the wish came true: by the child's director, supervisor or
    volunteer, who sees the child (not the donor)."""
    user = active_user(actor)
    if not _may_confirm(user, wish):
        raise ValidationError({"wish": _("Only someone who sees the child can confirm it.")})
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": _("Keep this under %(n)d characters.") % {"n": NOTE_MAX}})
    fields: dict[str, Any] = {"confirmed_at": now or timezone.now(), "confirmed_by": user}
    if note.strip():
        fields["note"] = note.strip()
    return _move(
        wish,
        user=user,
        source=[Wish.State.DELIVERED],
        target=Wish.State.CONFIRMED,
        action="wish_confirm",
        **fields,
    )


@transaction.atomic
def wish_withdraw(*, actor: User, wish: Wish, now: datetime | None = None) -> Wish:
    """Take an open wish off the board (whoever posted it, or the child's director)."""
    user = active_user(actor)
    if not _may_withdraw(user, wish):
        raise ValidationError({"wish": _("Only whoever posted this wish can withdraw it.")})
    return _move(
        wish,
        user=user,
        source=[Wish.State.OPEN],
        target=Wish.State.WITHDRAWN,
        action="wish_withdraw",
        withdrawn_at=now or timezone.now(),
    )


@transaction.atomic
def care_event_record(
    *,
    actor: User,
    kind: str,
    title: str,
    held_on: date,
    area: Area,
    children: Iterable[Child] = (),
    given: str = "",
    place: str = "",
    notes: str = "",
    today: date | None = None,
) -> CareEvent:
    """Record an event for the children (a director, supervisor or county administrator, in
    their area): who came and what was given. A Children's Day or a festival may be recorded up
    to a year ahead, so that its gifts are planned per child (`gift_plan`)."""
    user = active_user(actor)
    if user.role not in REGISTRY_ROLES:
        raise ValidationError({"area": _("Events are recorded by directors and supervisors.")})
    today = today or timezone.localdate()
    present = list({c.pk: c for c in children}.values())
    errors: dict[str, Any] = {}
    if kind not in CareEvent.Kind.values:
        errors["kind"] = _("Choose the kind of event.")
    title = title.strip()
    if not title:
        errors["title"] = _("Give the event a title.")
    elif len(title) > 200:
        errors["title"] = _("Keep this under %(n)d characters.") % {"n": 200}
    if kind in GIFT_EVENT_KINDS:
        # A Children's Day or a festival is recorded ahead, for its gifts to be planned.
        if held_on > today + PLAN_AHEAD:
            errors["held_on"] = _("Plan an event at most a year ahead.")
    elif held_on > today:
        errors["held_on"] = _("This day is in the future.")
    if not areas_for_user(user).filter(pk=area.pk).exists():
        errors["area"] = _("Choose an area of your own.")
    if any(not in_area(user, c) for c in present):
        errors["children"] = _("Some of these children are not of your area.")
    if errors:
        raise ValidationError(errors)
    event = CareEvent.objects.create(
        kind=kind,
        title=title,
        held_on=held_on,
        place=place.strip()[:200],
        area=area,
        given=given.strip(),
        notes=notes.strip(),
        recorded_by=user,
    )
    event.children.set(present)
    audit(actor=user, action="care_event_record", obj=event, changes=["title", "children", "given"])
    return event
