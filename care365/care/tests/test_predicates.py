"""The predicates the pages and the API ask before offering a form or a button say exactly what
the services then allow: for every persona and every child (paired, of the area or not, left the
registry), the predicate holds if and only if the service takes the entry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from care365.accounts.models import User
from care365.care import access, services
from care365.care.models import ContactChannel, ContactKind, Wish
from care365.care.services import CareStateError
from care365.care.tests.factories import NOW, TODAY, consent, registered_on, team
from care365.registry.models import Child, ConsentPurpose, ExitReason
from care365.registry.tests.factories import LeftBehindChildFactory
from conftest import Personas

USERS = (
    "admin",
    "supervisor_a",
    "director_a",
    "director_b",
    "officer",
    "doctor",
    "volunteer",
    "outsider",
    "other_admin",
)


class RolledBackError(Exception):
    """Raised to undo what an accepted call wrote."""


def accepts(service: Callable[..., object], **kwargs: Any) -> bool:
    """Whether the service takes the call; nothing it writes is kept."""
    try:
        with transaction.atomic():
            service(**kwargs)
            raise RolledBackError
    except RolledBackError:
        return True
    except (ValidationError, PermissionDenied, CareStateError):
        return False


def children(p: Personas) -> dict[str, Child]:
    """Child A with its team; child B of another village and child C of another county, neither
    paired; a child of village A with the same team who has left the registry. Each guardian
    agreed to volunteers and to screening, so only who and which child decide."""
    team(p)
    for child in (p.child_b, p.child_other):
        registered_on(child)
        consent(child, ConsentPurpose.VOLUNTEER)
        consent(child, ConsentPurpose.HEALTH_SCREENING)
    left = team(p, LeftBehindChildFactory.create(village=p.village_a))
    left.exited_on, left.exit_reason = TODAY, ExitReason.PARENTS_RETURNED
    left.save()
    return {"a": p.child_a, "b": p.child_b, "other": p.child_other, "left": left}


def contact_values(kind: str) -> dict[str, Any]:
    values: dict[str, Any] = {"kind": kind, "duration_minutes": 30, "occurred_at": NOW, "now": NOW}
    if kind == ContactKind.VOLUNTEER_VISIT:
        values["activities"] = ["homework"]
    if kind == ContactKind.PARENT_CONTACT:
        values["channel"] = ContactChannel.PHONE
    return values


@pytest.mark.django_db
def test_contact_kinds_allowed_are_the_kinds_contact_log_takes(personas: Personas) -> None:
    kids = children(personas)
    taken_somewhere: set[str] = set()
    for who in USERS:
        user: User = getattr(personas, who)
        for name, child in kids.items():
            allowed = access.contact_kinds_allowed(user, child)
            taken = [
                kind
                for kind in ContactKind.values
                if accepts(services.contact_log, actor=user, child=child, **contact_values(kind))
            ]
            assert allowed == taken, (who, name)
            taken_somewhere.update(taken)
    assert taken_somewhere == set(ContactKind.values)  # every kind is someone's
    assert access.contact_kinds_allowed(personas.volunteer, kids["a"])
    assert not access.contact_kinds_allowed(personas.volunteer, kids["left"])


@pytest.mark.django_db
def test_may_examine_and_may_post_wish_agree_with_their_services(personas: Personas) -> None:
    kids = children(personas)
    exam: dict[str, Any] = {
        "examined_on": TODAY,
        "height_cm": 140.2,
        "weight_kg": 33.1,
        "vision_left": Decimal("5.0"),
        "today": TODAY,
    }
    for who in USERS:
        user: User = getattr(personas, who)
        for name, child in kids.items():
            examines = accepts(services.examination_record, actor=user, child=child, **exam)
            assert access.may_examine(user, child) == examines, (who, name)
            posts = accepts(
                services.wish_post,
                actor=user,
                child=child,
                what="一双新球鞋",
                cost_yuan=150,
                now=NOW,
            )
            assert access.may_post_wish(user, child) == posts, (who, name)
    assert access.may_examine(personas.doctor, kids["a"])
    assert access.may_post_wish(personas.volunteer, kids["a"])
    assert access.may_post_wish(personas.director_a, kids["a"])


@pytest.mark.django_db
def test_screening_consent_holds_is_the_screenings_consent(personas: Personas) -> None:
    teen = LeftBehindChildFactory.create(village=personas.village_a, birth_date=date(2012, 5, 1))
    child = team(personas, teen)

    def screen() -> bool:
        return accepts(
            services.screening_record,
            actor=personas.doctor,
            child=child,
            instrument="phq9",
            answers=[0] * 9,
            now=NOW,
        )

    assert services.screening_consent_holds(child) and screen()
    child.consents.filter(purpose=ConsentPurpose.HEALTH_SCREENING).update(withdrawn_on=TODAY)
    assert not services.screening_consent_holds(child) and not screen()


STEPS: dict[str, Callable[..., Wish]] = {
    "deliver": services.wish_deliver,
    "release": services.wish_release,
    "confirm": services.wish_confirm,
    "withdraw": services.wish_withdraw,
}


@pytest.mark.django_db
def test_wish_steps_allowed_are_the_steps_the_services_take(personas: Personas) -> None:
    children(personas)
    p = personas

    def wish(poster: User, state: str, claimer: User | None = None) -> Wish:
        posted = services.wish_post(
            actor=poster, child=p.child_a, what="书包", cost_yuan=80, now=NOW
        )
        claimed = state in (Wish.State.CLAIMED, Wish.State.DELIVERED, Wish.State.CONFIRMED)
        delivered = state in (Wish.State.DELIVERED, Wish.State.CONFIRMED)
        Wish.objects.filter(pk=posted.pk).update(
            state=state,
            claimed_by=claimer,
            claimed_at=NOW if claimed else None,
            delivered_at=NOW if delivered else None,
        )
        return posted

    wishes = {
        "open by director": wish(p.director_a, Wish.State.OPEN),
        "open by volunteer": wish(p.volunteer, Wish.State.OPEN),
        "claimed by director b": wish(p.director_a, Wish.State.CLAIMED, p.director_b),
        "claimed by the officer": wish(p.volunteer, Wish.State.CLAIMED, p.officer),
        "claimed for a donor": wish(p.director_a, Wish.State.CLAIMED, p.director_a),
        "delivered": wish(p.director_a, Wish.State.DELIVERED, p.director_b),
        "confirmed": wish(p.director_a, Wish.State.CONFIRMED, p.director_b),
        "withdrawn": wish(p.volunteer, Wish.State.WITHDRAWN),
    }
    offered_somewhere: set[str] = set()
    for who in USERS:
        user: User = getattr(p, who)
        for name, posted in wishes.items():
            allowed = access.wish_steps_allowed(user, Wish.objects.get(pk=posted.pk))
            taken = [
                step
                for step, service in STEPS.items()
                if accepts(service, actor=user, wish=Wish.objects.get(pk=posted.pk))
            ]
            assert sorted(allowed) == sorted(taken), (who, name)
            offered_somewhere.update(allowed)
    assert offered_somewhere == set(STEPS)
