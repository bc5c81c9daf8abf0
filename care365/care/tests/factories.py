"""Test data for daily care: a child's team (paired officer, doctor and volunteer with the
guardian's consents), contacts and examinations written straight to the tables for the selectors'
tests (the services have tests of their own), and a fixed clock. Like the services they stand in
for, they rewrite the child's stored next-due dates (`services.plans`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import factory

from care365.accounts.models import User
from care365.care.models import Contact, ContactKind, Examination
from care365.care.services.plans import plan_due_refresh
from care365.pairing.models import Pairing
from care365.registry.models import Child, Consent, ConsentPurpose
from conftest import Personas

TODAY = date(2026, 6, 1)  # Children's Day
REGISTERED = date(2025, 1, 1)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date, hour: int = 10) -> datetime:
    """A moment on `day` in the county's time zone."""
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI)


NOW = at(TODAY, 12)


def registered_on(child: Child, day: date = REGISTERED) -> Child:
    """Pretend the child was registered on `day` (the plan starts then)."""
    Child.objects.filter(pk=child.pk).update(
        registered_at=datetime.combine(day, time(2), tzinfo=UTC)
    )
    plan_due_refresh([child.pk])
    child.refresh_from_db()
    return child


def consent(child: Child, purpose: str, given_on: date = REGISTERED) -> Consent:
    row = Consent.objects.create(child=child, purpose=purpose, given_on=given_on)
    plan_due_refresh([child.pk])
    return row


def pair(child: Child, user: User, since: date = REGISTERED) -> Pairing:
    carer = user.carer
    assert carer is not None
    pairing = Pairing.objects.create(child=child, role=carer.role, carer=carer, since=since)
    plan_due_refresh([child.pk])
    return pairing


def team(personas: Personas, child: Child | None = None, since: date = REGISTERED) -> Child:
    """Pair the child (child A by default) with the personas' officer, doctor and volunteer,
    with the guardian's consent to a volunteer and to screening, registered on REGISTERED."""
    child = child or personas.child_a
    registered_on(child)
    consent(child, ConsentPurpose.VOLUNTEER)
    consent(child, ConsentPurpose.HEALTH_SCREENING)
    for user in (personas.officer, personas.doctor, personas.volunteer):
        pair(child, user, since)
    return child


class ContactFactory(factory.django.DjangoModelFactory[Contact]):
    """A contact row as the service would write it (for selector tests)."""

    class Meta:
        model = Contact

    kind = ContactKind.HOME_VISIT
    occurred_on = TODAY
    occurred_at = factory.LazyAttribute(lambda o: at(o.occurred_on))
    duration_minutes = 30
    logged_by_role = factory.LazyAttribute(lambda o: o.logged_by.role)
    channel = factory.LazyAttribute(
        lambda o: "video" if o.kind == ContactKind.PARENT_CONTACT else ""
    )

    @classmethod
    def _create(cls, model_class: type[Contact], *args: Any, **kwargs: Any) -> Contact:
        contact: Contact = super()._create(model_class, *args, **kwargs)
        plan_due_refresh([contact.child_id])  # as `contact_log` does
        return contact


def contacts(child: Child, user: User, kind: str, days: list[date], **extra: Any) -> None:
    for day in days:
        ContactFactory.create(child=child, logged_by=user, kind=kind, occurred_on=day, **extra)


class ExaminationFactory(factory.django.DjangoModelFactory[Examination]):
    class Meta:
        model = Examination

    examined_on = TODAY
    age_days = factory.LazyAttribute(lambda o: (o.examined_on - o.child.birth_date).days)

    @classmethod
    def _create(cls, model_class: type[Examination], *args: Any, **kwargs: Any) -> Examination:
        exam: Examination = super()._create(model_class, *args, **kwargs)
        plan_due_refresh([exam.child_id])  # as `examination_record` does
        return exam
