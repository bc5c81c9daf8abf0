"""Standing personas every test can use (STYLE.md): a county with two townships, directors of two
villages, a supervisor, an officer, a doctor and a volunteer, and outsiders, so that "someone
else's child" is tested everywhere; above the county and its neighbour, their prefecture and
province with an official each."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client, override_settings
from hypothesis import settings as hypothesis_settings

from care365.accounts.models import Role, User
from care365.accounts.tests.api_client import Api, published_schema
from care365.accounts.tests.factories import PASSWORD, UserFactory
from care365.areas.models import Area
from care365.areas.tests.factories import CountyFactory, TownshipFactory, VillageFactory
from care365.carers.models import Carer, CarerRole, Organisation
from care365.carers.tests.factories import CarerFactory, OrganisationFactory
from care365.pairing.tests.factories import PairingFactory, volunteer_consent
from care365.registry.models import Child
from care365.registry.tests.factories import LeftBehindChildFactory

# Property tests check what holds, not how fast: a per-example deadline fails them on a busy
# machine (a CI runner, a laptop compiling) for reasons that are not theirs. Speed is measured in
# bench/.
hypothesis_settings.register_profile("care365", deadline=None)
hypothesis_settings.load_profile("care365")


@dataclass
class Personas:
    county: Area
    township_a: Area
    village_a: Area
    township_b: Area
    village_b: Area
    other_county: Area
    other_village: Area
    admin: User
    supervisor_a: User
    director_a: User
    director_b: User
    officer: User
    doctor: User
    volunteer: User
    outsider: User
    other_admin: User
    # Above the two counties: 丽水市 (331100) in 浙江省 (330000), and their officials, who see
    # figures and never a child.
    prefecture: Area
    province: Area
    prefecture_official: User
    province_official: User
    child_a: Child
    child_b: Child
    child_other: Child
    # The county's network: a school of township A and its teacher, a social-work agency and a
    # member of its staff. Neither sees a child's record (`children_for_user` is empty for them).
    school_a: Organisation
    agency: Organisation
    teacher: User
    org_staff: User
    password: str = PASSWORD

    @property
    def carers(self) -> dict[str, Carer]:
        return {
            "police": self.officer.carer,  # type: ignore[dict-item]
            "doctor": self.doctor.carer,  # type: ignore[dict-item]
            "volunteer": self.volunteer.carer,  # type: ignore[dict-item]
        }


@pytest.fixture(autouse=True, scope="session")
def _flush_lifts_the_append_only_triggers() -> None:
    """Between transactional tests Django empties every table; on SQLite it does so with DELETE,
    which the log tables' append-only triggers refuse (PostgreSQL's TRUNCATE fires no row
    trigger). Here the flush drops those triggers, empties the tables and creates them again."""
    from django.db import connection

    from care365.core import append_only

    if connection.vendor != "sqlite":
        return
    operations = type(connection.ops)
    flush = operations.sql_flush

    def sql_flush(self: Any, style: Any, tables: Any, **kwargs: Any) -> list[str]:
        sql = flush(self, style, tables, **kwargs)
        logs = [t for t in append_only.LOG_TABLES if t in tables]
        lift = [s for t in logs for s in append_only.sqlite_drop(t)]
        put_back = [s for t in logs for s in append_only.sqlite_create(t)]
        return [*lift, *sql, *put_back]

    operations.sql_flush = sql_flush  # type: ignore[method-assign]  # see docstring


@pytest.fixture(autouse=True)
def _audit_checkpoints_in_tmp(settings: Any, tmp_path: Any) -> None:
    """The daily checkpoint of the audit chains goes to a file of each test's own."""
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "audit-checkpoints.jsonl"


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Real hashers are slow on purpose; tests check behaviour, not hashing cost."""
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture
def personas(db: None) -> Personas:
    return make_personas()


@contextmanager
def rolled_back_after_module(django_db_blocker: Any) -> Iterator[None]:
    """A transaction of a module's own, as Django's `setUpTestData` has one per class: what is
    written in it before the tests is seen by each of them, each test's own transaction nests
    in it (a savepoint rolled back after the test), and it is rolled back after the module."""
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):  # as `_fast_password_hashing`
        with django_db_blocker.unblock():
            outer = transaction.atomic()
            outer.__enter__()
        try:
            yield
        finally:
            with django_db_blocker.unblock():
                transaction.set_rollback(True)
                outer.__exit__(None, None, None)


@pytest.fixture(scope="module")
def module_personas(django_db_setup: None, django_db_blocker: Any) -> Iterator[Personas]:
    """The personas made once for a whole module (`rolled_back_after_module`). A module whose
    tests only read the personas, or change them inside their own transaction, opts in by
    overriding `personas` with `shared_personas` (each test gets its own copy of the objects).

    The access matrices call every operation as every persona: making the personas anew for
    each of their thousands of cases took most of their time."""
    with rolled_back_after_module(django_db_blocker):
        with django_db_blocker.unblock():
            made = make_personas()
        yield made


def shared_personas(module_personas: Personas, db: None) -> Personas:
    """`personas` for a module that opts in to `module_personas`: a copy of the objects, so that
    what a test changes in memory is not seen by the next."""
    return copy.deepcopy(module_personas)


def make_personas() -> Personas:
    county = CountyFactory.create(code="331127", name="景宁畲族自治县")
    township_a = TownshipFactory.create(parent=county, code="331127101", name="鹤溪街道")
    village_a = VillageFactory.create(parent=township_a, code="331127101201", name="东弄村")
    township_b = TownshipFactory.create(parent=county, code="331127102", name="红星街道")
    village_b = VillageFactory.create(parent=township_b, code="331127102201", name="大赤坑村")
    other_county = CountyFactory.create(
        code="331126", name="庆元县", latitude=27.6, longitude=119.06
    )
    prefecture = Area.objects.get(code="331100")  # 丽水市, made with the counties
    province = Area.objects.get(code="330000")  # 浙江省
    if not county.parent == other_county.parent == prefecture:
        raise AssertionError("景宁 and 庆元 sit under 丽水市")
    other_village = VillageFactory.create(
        parent=TownshipFactory.create(parent=other_county, code="331126101"), code="331126101201"
    )

    def carer_user(role: str, username: str) -> User:
        carer = CarerFactory.create(role=role, organisation__area=township_a)
        carer.service_areas.add(village_a, township_a)
        return UserFactory.create(username=username, role=role, carer=carer)

    school_a = OrganisationFactory.create(
        kind=Organisation.Kind.SCHOOL, name="鹤溪小学", area=township_a
    )
    agency = OrganisationFactory.create(
        kind=Organisation.Kind.SOCIAL_WORK, name="景宁社工服务中心", area=county
    )
    return Personas(
        county=county,
        township_a=township_a,
        village_a=village_a,
        township_b=township_b,
        village_b=village_b,
        other_county=other_county,
        other_village=other_village,
        admin=UserFactory.create(username="admin", role=Role.COUNTY_ADMIN, area=county),
        supervisor_a=UserFactory.create(
            username="supervisor", role=Role.SUPERVISOR, area=township_a
        ),
        director_a=UserFactory.create(username="director", role=Role.DIRECTOR, area=village_a),
        director_b=UserFactory.create(username="director_b", role=Role.DIRECTOR, area=village_b),
        officer=carer_user(CarerRole.POLICE, "police"),
        doctor=carer_user(CarerRole.DOCTOR, "doctor"),
        volunteer=carer_user(CarerRole.VOLUNTEER, "volunteer"),
        outsider=UserFactory.create(username="outsider", role=""),
        other_admin=UserFactory.create(
            username="other_admin", role=Role.COUNTY_ADMIN, area=other_county
        ),
        prefecture=prefecture,
        province=province,
        prefecture_official=UserFactory.create(
            username="prefecture", role=Role.PREFECTURE_OFFICIAL, area=prefecture
        ),
        province_official=UserFactory.create(
            username="province", role=Role.PROVINCE_OFFICIAL, area=province
        ),
        child_a=LeftBehindChildFactory.create(village=village_a, name="张小花", sex="F"),
        child_b=LeftBehindChildFactory.create(village=village_b, name="李小龙", sex="M"),
        child_other=LeftBehindChildFactory.create(village=other_village, name="赵小雨", sex="F"),
        school_a=school_a,
        agency=agency,
        teacher=UserFactory.create(username="teacher", role=Role.TEACHER, organisation=school_a),
        org_staff=UserFactory.create(
            username="org_staff", role=Role.ORG_STAFF, organisation=agency
        ),
    )


@pytest.fixture
def paired_personas(personas: Personas) -> Personas:
    """The personas once pairing has run: the officer, the doctor and the volunteer are paired
    with child A, whose guardian consents to the volunteer; child B is still nobody's."""
    volunteer_consent(personas.child_a)
    for role, carer in personas.carers.items():
        PairingFactory.create(child=personas.child_a, role=role, carer=carer)
    return personas


@pytest.fixture
def api(client: Client) -> Api:
    """The API as each persona calls it (care365/accounts/tests/api_client.py)."""
    return Api(client)


@pytest.fixture(scope="session")
def openapi() -> dict[str, Any]:
    """The schema as published at /api/v1/openapi.json."""
    return published_schema()
