"""Retention: a child's identifying data is erased N years (the county's setting) after exit."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from care365.core import crypto
from care365.core.models import AuditEvent
from care365.registry import services
from care365.registry.models import (
    Child,
    Consent,
    Guardian,
    Parent,
    RetentionPolicy,
)
from care365.registry.tests.factories import LeftBehindChildFactory
from conftest import Personas

pytestmark = pytest.mark.django_db

TODAY = date(2030, 6, 1)


def _exited(personas: Personas, on: date) -> Child:
    child = LeftBehindChildFactory.create(
        village=personas.village_a, birth_date=date(2012, 4, 9), sex="F"
    )
    Consent.objects.create(
        child=child, purpose="registry", given_on=date(2020, 1, 1), reference="P-1"
    )
    Child.objects.filter(pk=child.pk).update(exited_on=on, exit_reason="moved_away")
    child.refresh_from_db()
    return child


def test_the_job_anonymises_children_past_the_county_retention(personas: Personas) -> None:
    RetentionPolicy.objects.create(county=personas.county, years_after_exit=3)
    old = _exited(personas, date(2027, 5, 31))  # 3 years and a day before TODAY
    recent = _exited(personas, date(2027, 6, 2))
    active = LeftBehindChildFactory.create(village=personas.village_a)
    number = old.id_number

    assert services.children_anonymise_due(today=TODAY) == 1

    old.refresh_from_db()
    assert old.name == services.ANONYMOUS_NAME
    assert (old.id_number, old.id_number_hash, old.address, old.school) == ("", None, "", "")
    assert old.birth_date == date(2012, 7, 1)  # the year stays for the statistics
    assert (old.sex, old.village_id, old.exit_reason) == ("F", personas.village_a.pk, "moved_away")
    assert old.anonymised_on == TODAY
    assert old.statuses.count() == 1  # statuses and their dates stay
    for parent in Parent.objects.filter(child=old):
        assert (parent.name, parent.phone, parent.work_place) == ("", "", "")
    assert Guardian.objects.get(child=old).phone == ""
    assert Consent.objects.get(child=old).reference == ""
    # The encrypted columns hold nothing either, and the number is no longer findable.
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, address FROM registry_child WHERE id = %s", [old.pk])
        assert cursor.fetchone() == ("", "")
    assert not Child.objects.filter(id_number_hash=crypto.lookup_hash(number)).exists()
    assert AuditEvent.objects.filter(action="child_anonymise", object_id=old.pk).count() == 1

    recent.refresh_from_db()
    active.refresh_from_db()
    assert recent.anonymised_on is None and recent.name != services.ANONYMOUS_NAME
    assert active.anonymised_on is None

    # Idempotent: running again changes nothing.
    assert services.children_anonymise_due(today=TODAY) == 0


def test_the_default_retention_is_five_years(personas: Personas) -> None:
    four = _exited(personas, date(2026, 1, 1))
    six = _exited(personas, date(2024, 1, 1))
    assert services.children_anonymise_due(today=TODAY) == 1
    four.refresh_from_db()
    six.refresh_from_db()
    assert four.anonymised_on is None and six.anonymised_on == TODAY


def test_a_child_in_the_registry_is_never_anonymised(personas: Personas) -> None:
    with pytest.raises(ValidationError):
        services.child_anonymise(actor=None, child=personas.child_a)
