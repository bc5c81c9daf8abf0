"""`care365 seed`: a realistic synthetic county, the same for the same seed."""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from care365.areas.geo import haversine_km
from care365.areas.models import Area
from care365.carers.models import BackgroundCheck, Carer, CarerRole, Organisation
from care365.core import crypto
from care365.core.models import AuditEvent
from care365.registry import idnumber, names
from care365.registry.models import (
    Child,
    ChildStatus,
    Guardian,
    GuardianRelationship,
    Parent,
    ParentSituation,
    StatusKind,
    status_bits_with,
)
from care365.registry.tests.helpers import open_statuses_drift
from care365.seeding.seed.children import age_on, children_generate
from care365.seeding.seed.county import CENTRE, county_plan

TODAY = date(2026, 6, 1)
GRANDPARENTS = {
    GuardianRelationship.GRANDFATHER,
    GuardianRelationship.GRANDMOTHER,
    GuardianRelationship.GRANDPARENTS,
}


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed", *args, verbosity=1, stdout=out, stderr=StringIO())
    return out.getvalue()


def quiet_seed(*args: str) -> None:
    call_command("seed", *args, verbosity=0, stdout=StringIO(), stderr=StringIO())


def registry_digest() -> str:
    rows = Child.objects.order_by("pk").values_list(
        "name", "birth_date", "village__code", "id_number"
    )
    return hashlib.sha256(repr(list(rows)).encode()).hexdigest()


def wipe() -> None:
    Child.objects.all().delete()
    Carer.objects.all().delete()
    Organisation.objects.all().delete()  # audit rows stay: the trail is append-only
    for level in (Area.Level.VILLAGE, Area.Level.TOWNSHIP, Area.Level.COUNTY):
        Area.objects.filter(level=level).delete()


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_children_and_another_seed_does_not() -> None:
    quiet_seed("--children", "150", "--seed", "7", "--as-of", "2026-06-01")
    first = registry_digest()
    wipe()
    quiet_seed("--children", "150", "--seed", "7", "--as-of", "2026-06-01")
    assert Child.objects.count() == 150
    assert registry_digest() == first
    wipe()
    quiet_seed("--children", "150", "--seed", "8", "--as-of", "2026-06-01")
    assert registry_digest() != first


@pytest.mark.django_db
def test_the_county_has_townships_and_villages_with_codes_and_coordinates() -> None:
    output = seed("--children", "100", "--seed", "1")
    county = Area.objects.get(level=Area.Level.COUNTY)
    assert (county.code, county.name) == ("331127", "景宁畲族自治县")
    townships = Area.objects.filter(level=Area.Level.TOWNSHIP)
    villages = Area.objects.filter(level=Area.Level.VILLAGE).select_related("parent")
    assert 18 <= townships.count() <= 24
    assert 130 <= villages.count() <= 170
    assert all(len(t.code) == 9 and t.parent_id == county.pk for t in townships)
    for village in villages:
        assert len(village.code) == 12
        assert village.parent is not None and village.code.startswith(village.parent.code)
        assert village.name.endswith("村")
        assert haversine_km(village.latitude, village.longitude, *CENTRE) < 30
    spread = max(
        haversine_km(a.latitude, a.longitude, b.latitude, b.longitude)
        for a in townships
        for b in townships
    )
    assert 25 < spread < 50
    event = AuditEvent.objects.get(action="seed")
    assert (event.object_type, event.object_id) == ("areas.area", county.pk)
    assert "100 children" in output


@pytest.mark.django_db
def test_every_id_number_is_valid_unique_encrypted_and_agrees_with_the_record() -> None:
    quiet_seed("--children", "300", "--seed", "3")
    children = list(Child.objects.all())
    numbers = [c.id_number for c in children]
    assert len(set(numbers)) == len(children) == 300
    for child in children:
        parsed = idnumber.parse(child.id_number)
        assert parsed.region == "331127"
        assert parsed.birth_date == child.birth_date
        assert parsed.sex == child.sex
        assert child.id_number_hash == crypto.lookup_hash(child.id_number)
        assert child.address.startswith(child.village.name)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, id_number, address FROM {Child._meta.db_table}")  # noqa: S608  # table name from the model
        stored = cursor.fetchall()
    by_pk = {c.pk: c for c in children}
    for pk, number, address in stored:
        assert by_pk[pk].id_number not in number
        assert crypto.decrypt(number) == by_pk[pk].id_number
        assert crypto.decrypt(address) == by_pk[pk].address
    phones = Parent.objects.exclude(phone="").values_list("phone", flat=True)
    assert phones and all(len(p) == 11 and p.startswith("1") for p in phones)


@pytest.mark.django_db
def test_carers_and_organisations_phones_are_encrypted_and_guardians_phones_hashed() -> None:
    """Seeding writes what the models would, by COPY on PostgreSQL and bulk_create on SQLite:
    carers' and organisations' phones as tokens, entrusted carers' phones with their keyed hash
    (the SMS webhook finds a family by it)."""
    quiet_seed("--children", "100", "--seed", "5")
    for model in (Carer, Organisation):
        phones = dict(model.objects.values_list("pk", "phone"))
        assert phones and all(phones.values()), model
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, phone FROM {model._meta.db_table}")  # noqa: S608  # table name from the model
            for pk, stored in cursor.fetchall():
                assert phones[pk] not in stored
                assert crypto.decrypt(stored) == phones[pk]
    guardians = list(Guardian.objects.exclude(phone=""))
    assert guardians
    assert all(g.phone_hash == crypto.phone_hash(g.phone) is not None for g in guardians)


def test_the_mix_follows_the_national_figures() -> None:
    """DOMAIN.md: among left-behind children 54.5% boys, ages 0-5 21.7%, 6-13 67.4%, 14-15
    10.9%, 96% cared for by grandparents; She children about a tenth."""
    plan = county_plan(random.Random(11))  # noqa: S311  # synthetic data
    rows = list(children_generate(random.Random(12), plan, 6000, today=TODAY))  # noqa: S311
    left_behind = [r for r in rows if any(k == StatusKind.LEFT_BEHIND for k, _ in r.statuses)]
    n = len(left_behind)
    assert 0.8 < n / len(rows) < 0.9

    def share(items: list[bool]) -> float:
        return sum(items) / len(items)

    assert share([r.sex == "M" for r in left_behind]) == pytest.approx(0.545, abs=0.025)
    ages = [age_on(r.birth_date, TODAY) for r in left_behind]
    assert share([a <= 5 for a in ages]) == pytest.approx(0.217, abs=0.02)
    assert share([6 <= a <= 13 for a in ages]) == pytest.approx(0.674, abs=0.025)
    assert share([14 <= a <= 15 for a in ages]) == pytest.approx(0.109, abs=0.015)
    assert max(ages) < 16
    grandparents = [r.guardian is not None and r.guardian.relationship in GRANDPARENTS
                    for r in left_behind]  # fmt: skip
    assert share(grandparents) == pytest.approx(0.96, abs=0.015)
    for row in left_behind:  # both parents away, or one away and the other not able to guard
        situations = sorted(p.situation for p in row.parents)
        away = situations.count(ParentSituation.AWAY_FOR_WORK)
        assert away == 2 or (away == 1 and ParentSituation.AT_HOME not in situations)
        assert all(p.work_place and p.away_since for p in row.parents if p.situation == "away")
    assert share([r.ethnicity == "she" for r in rows]) == pytest.approx(0.1, abs=0.04)
    she_speakers = [r for r in rows if "she" in r.languages]
    assert she_speakers and all(r.ethnicity == "she" for r in she_speakers)
    kinds = Counter(k for r in rows for k, _ in r.statuses)
    assert kinds[StatusKind.UNSUPPORTED] > 0.02 * len(rows)
    assert kinds[StatusKind.DIFFICULTY_POVERTY] > 0.1 * len(rows)
    assert kinds[StatusKind.DIFFICULTY_DISABILITY] > 0
    assert kinds[StatusKind.DIFFICULTY_GUARDIANSHIP] > 0
    several = [r for r in rows if len(r.statuses) > 1]
    assert 0.05 < len(several) / len(rows) < 0.3
    for row in rows:
        age = age_on(row.birth_date, TODAY)
        assert 0 <= age < 18
        if row.grade.startswith("p"):
            assert 5 <= age <= 13
        if row.grade.startswith("j"):
            assert 11 <= age <= 16
        if any(k == StatusKind.DIFFICULTY_DISABILITY for k, _ in row.statuses):
            assert row.disability_notes


@pytest.mark.django_db
def test_carer_capacity_falls_short_in_total_but_covers_most_townships() -> None:
    quiet_seed("--children", "400", "--seed", "5")
    children = Counter(Child.objects.values_list("village__parent__code", flat=True))
    total = sum(children.values())
    townships = list(Area.objects.filter(level=Area.Level.TOWNSHIP).values_list("code", flat=True))
    for role in CarerRole.values:
        carers = Carer.objects.filter(role=role, active=True).select_related("organisation__area")
        if role == CarerRole.VOLUNTEER:
            carers = carers.filter(
                background_check=BackgroundCheck.PASSED, trained_on__isnull=False
            )
        capacity: Counter[str] = Counter()
        for carer in carers:
            area = carer.organisation.area
            capacity[area.code[:9]] += carer.capacity
        assert sum(capacity.values()) < total, role
        covered = [t for t in townships if capacity[t] >= children[t]]
        assert len(covered) > len(townships) / 2, role
        assert all(capacity[t] > 0 for t in townships), role
    volunteers = Carer.objects.filter(role=CarerRole.VOLUNTEER)
    assert volunteers.exclude(background_check=BackgroundCheck.PASSED).exists()
    assert volunteers.filter(trained_on__isnull=True).exists()
    assert any("she" in c.languages for c in Carer.objects.all())
    assert all(c.service_areas.exists() for c in Carer.objects.prefetch_related("service_areas"))
    assert Organisation.objects.filter(kind=Organisation.Kind.POLICE_STATION).count() == len(
        townships
    )


@pytest.mark.django_db
def test_every_seeded_child_carries_the_kinds_of_its_open_statuses() -> None:
    """Seeding writes Child.open_statuses with the row (COPY on PostgreSQL, bulk_create on
    SQLite); it must say what the statuses say, as the registry's services keep it."""
    quiet_seed("--children", "600", "--seed", "4")
    assert ChildStatus.objects.count() >= 600
    assert not open_statuses_drift()
    for kind in StatusKind.values:
        with_kind = Child.objects.filter(open_statuses__in=status_bits_with(kind)).count()
        assert with_kind == ChildStatus.objects.filter(kind=kind, ended_on__isnull=True).count()
    assert Child.objects.filter(open_statuses=0).count() < 600 * 0.05


@pytest.mark.django_db
def test_seed_refuses_a_registry_with_children_unless_asked_to_append() -> None:
    quiet_seed("--children", "40", "--seed", "1")
    with pytest.raises(CommandError, match=r"already has 40 children.*--append"):
        quiet_seed("--children", "40", "--seed", "1")
    assert Child.objects.count() == 40
    quiet_seed("--children", "40", "--seed", "1", "--append")
    assert Child.objects.count() == 80
    numbers = [c.id_number for c in Child.objects.all()]
    assert len(set(numbers)) == 80
    assert Area.objects.filter(level=Area.Level.COUNTY).count() == 1


@pytest.mark.django_db
def test_dry_run_writes_nothing() -> None:
    output = seed("--children", "200", "--seed", "1", "--dry-run")
    assert "200 children" in output and "nothing was written" in output
    assert not Area.objects.exists()
    assert not Child.objects.exists()
    assert not ChildStatus.objects.exists()
    assert not Guardian.objects.exists()
    assert not Carer.objects.exists()
    assert not AuditEvent.objects.exists()


def test_every_seeded_skill_has_a_label() -> None:
    """Pages show a carer's skills by their label (carers.models.Skill), never as codes."""
    from care365.carers.models import Skill
    from care365.seeding.seed.carers import SKILLS

    seeded = {skill for pool in SKILLS.values() for skill in pool}
    assert seeded - set(Skill.values) == set()


@pytest.mark.django_db
def test_every_seeded_child_carries_the_pinyin_of_its_name() -> None:
    """Seeding writes Child.name_sort with the row, as the registry's services keep it."""
    quiet_seed("--children", "200", "--seed", "5")
    rows = list(Child.objects.values_list("name", "name_sort"))
    assert len(rows) >= 200
    assert all(key == names.sort_key(name) and key for name, key in rows)
