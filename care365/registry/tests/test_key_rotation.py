"""Key rotation: `care365 rotate_keys` re-encrypts under the new first key and recomputes the
keyed hashes, so the old key can be dropped and look-ups keep working."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection

from care365.core import crypto
from care365.registry.models import Child, Parent
from conftest import Personas

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_keys() -> Iterator[None]:
    crypto.reset_cache()
    yield
    crypto.reset_cache()


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        value: str = cursor.fetchone()[0]
    return value


def test_rotation_moves_every_value_to_the_new_key(
    personas: Personas, settings: Any, fresh_keys: None
) -> None:
    old = list(settings.FIELD_ENCRYPTION_KEYS)
    new = Fernet.generate_key().decode("ascii")
    child = personas.child_a
    number, address, old_hash = child.id_number, child.address, child.id_number_hash
    parent = Parent.objects.filter(child=child).first()
    assert parent is not None and parent.phone

    settings.FIELD_ENCRYPTION_KEYS = [new, *old]
    settings.LOOKUP_HASH_KEY = "a-new-hash-key-for-this-test-0123456789"
    crypto.reset_cache()
    out = StringIO()
    call_command("rotate_keys", "--batch", "2", stdout=out)
    assert "registry.Child: 3 rows" in out.getvalue()

    only_new = Fernet(new.encode("ascii"))
    for table, column, pk in (
        ("registry_child", "id_number", child.pk),
        ("registry_child", "address", child.pk),
        ("registry_parent", "phone", parent.pk),
    ):
        only_new.decrypt(_raw(table, column, pk).encode("ascii"))  # no InvalidToken
        with pytest.raises(InvalidToken):
            Fernet(old[0].encode("ascii")).decrypt(_raw(table, column, pk).encode("ascii"))

    # Drop the old key: everything still reads, and the number is still found by its new hash.
    settings.FIELD_ENCRYPTION_KEYS = [new]
    crypto.reset_cache()
    again = Child.objects.get(pk=child.pk)
    assert (again.id_number, again.address) == (number, address)
    assert Child.objects.get(id_number_hash=crypto.lookup_hash(number)).pk == child.pk
    assert again.id_number_hash != old_hash  # recomputed under the new hash key
