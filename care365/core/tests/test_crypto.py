from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.fernet import Fernet

from care365.core import crypto


@pytest.fixture
def fresh_keys(settings: Any) -> Iterator[Any]:
    crypto.reset_cache()
    yield settings
    crypto.reset_cache()


def test_round_trip_and_no_plaintext_in_the_token() -> None:
    token = crypto.encrypt("33112720150314001X")
    assert "33112720150314001X" not in token
    assert crypto.decrypt(token) == "33112720150314001X"
    assert crypto.encrypt("same") != crypto.encrypt("same")  # random IV per value


def test_rotation_keeps_old_values_readable_and_moves_them_to_the_new_key(
    fresh_keys: Any,
) -> None:
    old_key = fresh_keys.FIELD_ENCRYPTION_KEYS[0]
    token = crypto.encrypt("13800000000")
    new_key = Fernet.generate_key().decode()
    fresh_keys.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    crypto.reset_cache()
    assert crypto.decrypt(token) == "13800000000"
    rotated = crypto.rotate(token)
    fresh_keys.FIELD_ENCRYPTION_KEYS = [new_key]
    crypto.reset_cache()
    assert crypto.decrypt(rotated) == "13800000000"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token)


def test_lookup_hash_is_keyed_and_normalised(fresh_keys: Any) -> None:
    first = crypto.lookup_hash("33112720150314001x ")
    assert first == crypto.lookup_hash("33112720150314001X")
    fresh_keys.LOOKUP_HASH_KEY = "another key"
    assert crypto.lookup_hash("33112720150314001X") != first
