"""Carers', organisations', users', the duty desk's and the outbox's phones and email addresses are
personal data: encrypted at rest like the children's, found by keyed hash where they are looked up
(an SMS's sender), re-encrypted by `rotate_keys`, and encrypted by the migrations that brought them
in from clear columns (and decrypted again by going back)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from io import StringIO
from typing import Any

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Model
from django.test.utils import CaptureQueriesContext

from care365.accounts.access import child_get_for_user
from care365.accounts.models import ORGANISATION_ROLES, User
from care365.carers.models import Carer, Organisation
from care365.core import crypto
from care365.protection import services
from care365.protection.models import MANY_SENDERS, Alert, EscalationPolicy, Notification
from care365.protection.tests.conftest import HELP_NUMBER
from care365.registry import services as registry_services
from care365.registry.models import Guardian
from care365.registry.tests.factories import LeftBehindChildFactory
from conftest import Personas

OFFICER_PHONE = "13700000001"  # the paired officer's (conftest)
OFFICER_EMAIL = "officer@police.example"
STATION_PHONE = "0578-5081234"
DESK_PHONE = "13700000009"
DESK_EMAIL = "desk@county.example"
GUARDIAN_PHONE = "13912345678"
STRANGER_PHONE = "13598765432"


def raw(model: type[Model], column: str, pk: Any) -> str:
    """The column as the database holds it, past the model's field."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote(column)} FROM {quote(model._meta.db_table)} WHERE id = %s",  # noqa: S608  # names from _meta
            [pk],
        )
        value: str = cursor.fetchone()[0]
    return value


def assert_sealed(model: type[Model], column: str, pk: Any, clear: str) -> None:
    """Stored as a token that decrypts to `clear`, with not even the digits showing."""
    stored = raw(model, column, pk)
    assert stored and clear not in stored
    digits = "".join(ch for ch in clear if ch.isdigit())
    assert not digits or digits not in stored
    assert crypto.decrypt(stored) == clear


@pytest.fixture
def contacts(paired: Personas, t0: datetime, settings: Any) -> dict[str, Any]:
    """The officer's station has a duty phone, the county desk a phone and an email, child A's
    entrusted carer a phone; an alert for child A queued an SMS and an email to the officer, and
    an SMS from an unknown number reached the desk."""
    settings.COUNTY_CODE = paired.county.code
    carer = paired.officer.carer
    assert carer is not None
    station = carer.organisation
    station.phone = STATION_PHONE
    station.save()
    services.escalation_policy_update(
        actor=paired.admin,
        county=paired.county,
        steps=[
            {"who": "assigned_officer", "wait_seconds": 60, "channels": ["in_app", "sms", "email"]},
            {"who": "county_duty_desk", "wait_seconds": 90, "channels": ["in_app", "sms", "email"]},
        ],
        repeat_seconds=600,
        desk_phone=DESK_PHONE,
        desk_email=DESK_EMAIL,
        sms_number=HELP_NUMBER,
    )
    guardian = Guardian.objects.get(child=paired.child_a)
    guardian.phone = GUARDIAN_PHONE
    guardian.save()
    child = child_get_for_user(paired.director_a, paired.child_a.pk, "view")
    alert = services.alert_raise(actor=paired.director_a, child=child, kind="danger", now=t0)
    (stranger,) = services.alert_raise_from_sms(
        phone=STRANGER_PHONE, text="救命", to=HELP_NUMBER, now=t0
    )
    return {
        "carer": carer,
        "station": station,
        "alert": alert,
        "stranger": stranger,
        "sms": Notification.objects.get(alert=alert, channel="sms"),
        "email": Notification.objects.get(alert=alert, channel="email"),
        "desk": EscalationPolicy.objects.get(county=paired.county),
    }


@pytest.mark.django_db
def test_phones_and_email_addresses_are_not_stored_in_clear(
    paired: Personas, contacts: dict[str, Any]
) -> None:
    assert_sealed(Carer, "phone", contacts["carer"].pk, OFFICER_PHONE)
    assert_sealed(Organisation, "phone", contacts["station"].pk, STATION_PHONE)
    assert_sealed(User, "email", paired.officer.pk, OFFICER_EMAIL)
    assert_sealed(EscalationPolicy, "desk_phone", contacts["desk"].pk, DESK_PHONE)
    assert_sealed(EscalationPolicy, "desk_email", contacts["desk"].pk, DESK_EMAIL)
    assert_sealed(Notification, "address", contacts["sms"].pk, OFFICER_PHONE)
    assert_sealed(Notification, "address", contacts["email"].pk, OFFICER_EMAIL)
    # Python code reads them as before: the outbox sends to the right places.
    assert Notification.objects.get(pk=contacts["sms"].pk).address == OFFICER_PHONE
    assert Notification.objects.get(pk=contacts["email"].pk).address == OFFICER_EMAIL
    assert Carer.objects.get(pk=contacts["carer"].pk).phone == OFFICER_PHONE
    # An in-app row has no address: still empty, and the outbox's constraint still holds.
    assert Notification.objects.filter(alert=contacts["alert"], channel="in_app", address="")


@pytest.mark.django_db
def test_the_idempotency_key_does_not_give_the_address_away(contacts: dict[str, Any]) -> None:
    """The key is stored in clear beside the encrypted address: a bare SHA-256 of a phone number
    would be reversed by trying every number, so the address's part of it is keyed."""
    for row, address in ((contacts["sms"], OFFICER_PHONE), (contacts["email"], OFFICER_EMAIL)):
        key = row.idempotency_key
        assert address not in key
        for candidate in (address, address.lower()):
            assert hashlib.sha256(candidate.encode()).hexdigest()[:16] not in key


@pytest.mark.django_db
def test_an_sms_finds_the_family_by_keyed_hash_without_reading_any_phone(
    paired: Personas, contacts: dict[str, Any]
) -> None:
    sibling = LeftBehindChildFactory.create(village=paired.village_a)
    other = Guardian.objects.get(child=sibling)
    other.phone = "+86 139-1234-5678"  # the same number, written another way
    other.save()

    with CaptureQueriesContext(connection) as queries:
        found = services.children_with_guardian_phone(paired.county, "0086 13912345678")

    assert [c.pk for c in found] == sorted([paired.child_a.pk, sibling.pk])
    guardian_phone = connection.ops.quote_name("phone")
    assert len(queries) == 1
    assert (
        f"{connection.ops.quote_name(Guardian._meta.db_table)}.{guardian_phone}"
        not in (queries[0]["sql"])
    )
    assert services.children_with_guardian_phone(paired.county, "13911110000") == []
    # Both rows hold the same keyed hash of the number's normal form.
    assert raw(Guardian, "phone_hash", other.pk) == crypto.phone_hash(GUARDIAN_PHONE)
    assert Guardian.objects.get(child=paired.child_a).phone_hash == crypto.phone_hash(
        GUARDIAN_PHONE
    )
    # Another county's look-up does not reach this county's families.
    assert services.children_with_guardian_phone(paired.other_county, GUARDIAN_PHONE) == []


@pytest.mark.django_db
def test_anonymising_a_child_erases_the_entrusted_carers_phone_hash(
    paired: Personas, contacts: dict[str, Any]
) -> None:
    child = registry_services.child_exit(
        actor=paired.admin, child=paired.child_a, reason="moved_away"
    )
    registry_services.child_anonymise(actor=paired.admin, child=child)

    guardian = Guardian.objects.get(child=paired.child_a)
    assert (guardian.phone, guardian.phone_hash) == ("", None)


@pytest.fixture
def fresh_keys() -> Iterator[None]:
    crypto.reset_cache()
    yield
    crypto.reset_cache()


@pytest.mark.django_db
def test_rotation_re_encrypts_contacts_and_recomputes_their_hashes(
    paired: Personas, contacts: dict[str, Any], settings: Any, fresh_keys: None, t0: datetime
) -> None:
    # The county's alert folding many unknown senders lists their numbers and keeps its mark.
    (many,) = services.alert_raise_from_sms(
        phone="13611112222", text="救命", to=HELP_NUMBER, now=t0
    )
    many.sender_phone = "13611112222\n13633334444"
    many.sender_hash = MANY_SENDERS
    many.save(update_fields=["sender_phone", "sender_hash"])
    old = list(settings.FIELD_ENCRYPTION_KEYS)
    new = Fernet.generate_key().decode("ascii")
    settings.FIELD_ENCRYPTION_KEYS = [new, *old]
    settings.LOOKUP_HASH_KEY = "a-new-hash-key-for-this-test-0123456789"
    crypto.reset_cache()
    out = StringIO()
    call_command("rotate_keys", "--batch", "2", stdout=out)
    for label in (
        "carers.Carer",
        "carers.Organisation",
        "accounts.User",
        "protection.EscalationPolicy",
        "protection.Notification",
        "protection.Alert",
        "registry.Guardian",
    ):
        assert f"{label}: " in out.getvalue()

    only_new, only_old = Fernet(new.encode("ascii")), Fernet(old[0].encode("ascii"))
    for model, column, pk in (
        (Carer, "phone", contacts["carer"].pk),
        (Organisation, "phone", contacts["station"].pk),
        (User, "email", paired.officer.pk),
        (EscalationPolicy, "desk_phone", contacts["desk"].pk),
        (EscalationPolicy, "desk_email", contacts["desk"].pk),
        (Notification, "address", contacts["sms"].pk),
        (Notification, "address", contacts["email"].pk),
        (Alert, "sender_phone", contacts["stranger"].pk),
    ):
        token = raw(model, column, pk).encode("ascii")
        only_new.decrypt(token)  # no InvalidToken
        with pytest.raises(InvalidToken):
            only_old.decrypt(token)

    # Without the old key everything still reads, and the look-ups by phone work under the new
    # hash key: the family's SMS finds the child, the stranger's finds the open desk alert.
    settings.FIELD_ENCRYPTION_KEYS = [new]
    crypto.reset_cache()
    assert Notification.objects.get(pk=contacts["sms"].pk).address == OFFICER_PHONE
    assert EscalationPolicy.objects.get(pk=contacts["desk"].pk).desk_email == DESK_EMAIL
    found = services.children_with_guardian_phone(paired.county, GUARDIAN_PHONE)
    assert [c.pk for c in found] == [paired.child_a.pk]
    stranger = Alert.objects.get(pk=contacts["stranger"].pk)
    assert stranger.sender_hash == crypto.lookup_hash(STRANGER_PHONE)
    # Alerts with no sender keep an empty hash (the column is not nullable).
    assert Alert.objects.get(pk=contacts["alert"].pk).sender_hash == ""
    many.refresh_from_db()
    assert (many.sender_hash, many.sender_phones) == (MANY_SENDERS, ["13611112222", "13633334444"])


# The migrations that encrypted the clear columns, and the state just before each.
BEFORE = [
    ("accounts", "0008_id_lookups_and_confirm_id"),
    ("carers", "0001_initial"),
    ("protection", "0003_alert_request_count"),
    ("registry", "0008_normalise_names"),
]


def migrate(targets: list[tuple[str, str]] | None = None) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_migrations_encrypt_existing_values_and_going_back_decrypts_them(
    paired: Personas, contacts: dict[str, Any]
) -> None:
    sealed: list[tuple[type[Model], str, int, str]] = [
        (Carer, "phone", contacts["carer"].pk, OFFICER_PHONE),
        (Organisation, "phone", contacts["station"].pk, STATION_PHONE),
        (User, "email", paired.officer.pk, OFFICER_EMAIL),
        (EscalationPolicy, "desk_phone", contacts["desk"].pk, DESK_PHONE),
        (EscalationPolicy, "desk_email", contacts["desk"].pk, DESK_EMAIL),
        (Notification, "address", contacts["sms"].pk, OFFICER_PHONE),
        (Notification, "address", contacts["email"].pk, OFFICER_EMAIL),
    ]
    guardian = Guardian.objects.get(child=paired.child_a)
    # Teachers and organisation staff came after these migrations: the older schema's rule on a
    # user's scope has no place for them.
    User.objects.filter(role__in=sorted(ORGANISATION_ROLES)).delete()
    migrate()  # from wherever an earlier test left the schema: the latest
    try:
        migrate(BEFORE)
        for model, column, pk, clear in sealed:
            assert raw(model, column, pk) == clear, (model, column)
        with connection.cursor() as cursor:
            columns = connection.introspection.get_table_description(
                cursor, Guardian._meta.db_table
            )
        assert "phone_hash" not in {c.name for c in columns}
    finally:
        migrate()
    for model, column, pk, clear in sealed:
        assert_sealed(model, column, pk, clear)
    assert raw(Guardian, "phone_hash", guardian.pk) == crypto.phone_hash(GUARDIAN_PHONE)
    assert [c.pk for c in services.children_with_guardian_phone(paired.county, GUARDIAN_PHONE)] == [
        paired.child_a.pk
    ]
