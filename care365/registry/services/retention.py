"""How long a record is kept after the child left, and its anonymisation."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from care365.areas.models import Area
from care365.core.audit import audit
from care365.registry import names
from care365.registry.models import Child, Consent, DuplicateFlag, Guardian, Parent, RetentionPolicy
from care365.registry.services.common import _birthday

ANONYMOUS_NAME = "（已匿名）"


DEFAULT_RETENTION_YEARS = 5


@transaction.atomic
def child_anonymise(
    *, actor: AbstractBaseUser | None, child: Child, today: date | None = None
) -> Child:
    """Erase what identifies a child who left the registry, and their family, for good.

    Kept for the county's statistics: sex, birth year (the date becomes 1 July), ethnicity,
    hukou, village, grade, statuses with their dates, exit date and reason, pairings and care
    dates. Erased: name, ID number, address, school, health and disability notes, interests and
    languages, parents' and the entrusted carer's names, phones, work places and reasons."""
    today = today or timezone.localdate()
    if child.exited_on is None:
        raise ValidationError(_("Only a child who left the registry can be anonymised."))
    if child.anonymised_on is not None:
        return child
    Child.objects.filter(pk=child.pk).update(
        name=ANONYMOUS_NAME,
        name_sort=names.sort_key(ANONYMOUS_NAME),
        birth_date=child.birth_date.replace(month=7, day=1),
        id_number="",
        id_number_hash=None,
        address="",
        school="",
        health_notes="",
        disability_notes="",
        interests=[],
        languages=[],
        anonymised_on=today,
    )
    Parent.objects.filter(child=child).update(name="", phone="", work_place="", unable_reason="")
    Guardian.objects.filter(child=child).update(name=ANONYMOUS_NAME, phone="", phone_hash=None)
    Consent.objects.filter(child=child).update(reference="")
    DuplicateFlag.objects.filter(Q(child=child) | Q(other=child)).delete()
    audit(actor=actor, action="child_anonymise", obj=child)
    child.refresh_from_db()
    return child


def retention_years(county: Area) -> int:
    policy = RetentionPolicy.objects.filter(county=county).first()
    return policy.years_after_exit if policy else DEFAULT_RETENTION_YEARS


def children_anonymise_due(*, today: date | None = None) -> int:
    """The retention job: anonymise every child who left the registry longer ago than their
    county keeps records. Idempotent; run daily by the worker. Returns how many were done."""
    today = today or timezone.localdate()
    done = 0
    for county in Area.objects.filter(level=Area.Level.COUNTY):
        cutoff = _birthday(today, -retention_years(county))
        due = Child.objects.filter(
            village__code__startswith=county.code[:6],
            exited_on__lte=cutoff,
            anonymised_on__isnull=True,
        )
        for child in due.iterator(chunk_size=500):
            child_anonymise(actor=None, child=child, today=today)
            done += 1
    return done
