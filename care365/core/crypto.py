"""Encryption at rest and keyed look-up hashes for personal data.

Children's ID numbers, phone numbers and addresses, and the phones and email addresses of carers,
organisations, users, the county duty desk and the notification outbox, are stored as Fernet
tokens (AES-128-CBC + HMAC-SHA256, from the `cryptography` library). MultiFernet decrypts with any
configured key and encrypts with the first, so a key is rotated by putting a new one first and
re-encrypting (docs/operations.md). Equality look-ups (is this ID number registered? whose phone
sent this SMS?) use an HMAC-SHA256 of the normalised value under a separate key, so the database
never needs the plaintext to enforce uniqueness or to find a row.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from care365.core.phones import normalise_phone


class DecryptionError(Exception):
    """A stored value could not be decrypted with any configured key."""


@cache
def _fernet() -> MultiFernet:
    keys = settings.FIELD_ENCRYPTION_KEYS
    return MultiFernet([Fernet(key.encode("ascii")) for key in keys])


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise DecryptionError("value cannot be decrypted with the configured keys") from exc


def encrypt_bytes(data: bytes) -> bytes:
    """A Fernet token of binary data (an uploaded file's piece, kept while it is imported)."""
    return _fernet().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return _fernet().decrypt(token)
    except InvalidToken as exc:
        raise DecryptionError("value cannot be decrypted with the configured keys") from exc


def rotate(token: str) -> str:
    """Re-encrypt a token under the current (first) key."""
    return _fernet().rotate(token.encode("ascii")).decode("ascii")


def lookup_hash(value: str) -> str:
    """Keyed hash of a normalised value, for uniqueness and exact look-up."""
    key = settings.LOOKUP_HASH_KEY.encode("utf-8")
    return hmac.new(key, value.strip().upper().encode("utf-8"), hashlib.sha256).hexdigest()


def phone_hash(phone: str) -> str | None:
    """Keyed hash of a phone number in its normal form (digits only, without +86), so that
    "+86 139 1234 5678" and "13912345678" find each other; None for a value without digits."""
    number = normalise_phone(phone)
    return lookup_hash(number) if number else None


def reset_cache() -> None:
    """Forget the cached key set (after settings change, in tests and key rotation)."""
    _fernet.cache_clear()
