"""`care365 rotate_keys`: re-encrypt every encrypted field under the first key of
CARE365_FIELD_KEYS and recompute every keyed look-up hash under CARE365_HASH_KEY.

Every model with an EncryptedTextField is covered, found by field type: children's records,
carers' and organisations' phones, the duty desk's contacts, the outbox's addresses. Keyed hashes
are the model's KEYED_HASHES ({hash field: source field}), its PhoneHashFields, and the fields
named in its REHASHED, which its `rehash()` method recomputes (for hashes with rules of their
own, such as the alert that folds many unknown senders).

Rotating the encryption key: put the new key first in CARE365_FIELD_KEYS (keep the old one after
it), restart, run this command, then drop the old key. Rotating the hash key: set the new
CARE365_HASH_KEY and run this command at once (look-ups by ID number fail until it finishes).
Idempotent and resumable: a row already under the new keys is simply written again.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import models, transaction

from care365.core import crypto
from care365.core.fields import EncryptedTextField, PhoneHashField

REHASH = "<rehash>"  # a hash the row's own rehash() recomputes


def encrypted_models() -> list[tuple[type[models.Model], list[str], dict[str, str]]]:
    """(model, encrypted field names, keyed hashes {hash field: source field}) for every model
    with an encrypted field."""
    found = []
    for model in apps.get_models():
        concrete = model._meta.concrete_fields
        fields = [f.name for f in concrete if isinstance(f, EncryptedTextField)]
        if fields:
            hashes = dict(getattr(model, "KEYED_HASHES", {}))
            hashes.update({f.name: f.source for f in concrete if isinstance(f, PhoneHashField)})
            hashes.update(dict.fromkeys(getattr(model, "REHASHED", ()), REHASH))
            found.append((model, fields, hashes))
    return found


def _rehash(row: models.Model, hash_field: str, source: str) -> None:
    if source == REHASH:
        row.rehash()  # type: ignore[attr-defined]  # models naming REHASHED define it
        return
    field = row._meta.get_field(hash_field)
    if isinstance(field, PhoneHashField):
        field.pre_save(row, add=False)
        return
    value = getattr(row, source)
    empty = None if field.null else ""
    setattr(row, hash_field, crypto.lookup_hash(value) if value else empty)


def rotate_model(
    model: type[models.Model], fields: list[str], hashes: dict[str, str], *, batch: int
) -> int:
    done = 0
    last: Any = None
    manager = model._default_manager
    while True:
        rows = manager.order_by("pk")
        if last is not None:
            rows = rows.filter(pk__gt=last)
        chunk = list(rows[:batch])
        if not chunk:
            return done
        for row in chunk:
            for hash_field, source in hashes.items():
                _rehash(row, hash_field, source)
        with transaction.atomic():
            # Saving writes each decrypted value back through the field: encrypted anew under
            # the first key.
            manager.bulk_update(chunk, [*fields, *hashes], batch_size=batch)
        done += len(chunk)
        last = chunk[-1].pk


class Command(BaseCommand):
    help = "Re-encrypt encrypted fields under the current key and recompute keyed hashes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=1000, help="rows per transaction")

    def handle(self, *args: Any, **options: Any) -> None:
        crypto.reset_cache()
        for model, fields, hashes in encrypted_models():
            n = rotate_model(model, fields, hashes, batch=options["batch"])
            self.stdout.write(f"{model._meta.label}: {n} rows ({', '.join([*fields, *hashes])})")
