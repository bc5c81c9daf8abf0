"""Appending to and verifying the hash-chained logs (the audit trail, the access log).

Appending locks the chain's head row (`LedgerHead`, SELECT ... FOR UPDATE on PostgreSQL; SQLite
serialises write transactions), numbers the entry after the head, hashes it with the head's hash
and moves the head, all in one transaction: many app processes append to one gapless chain. The
lock is held to the end of the caller's transaction, so services keep their transactions short.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from django.db import transaction

from . import chain
from .models import ChainedEntry, LedgerHead

E = TypeVar("E", bound=ChainedEntry)

BATCH = 2000


def chain_append(entry: E) -> E:
    """Number, hash and insert `entry`; call inside or outside a transaction. Inside one it
    takes no savepoint of its own: an entry that cannot be written fails the caller's whole
    transaction, which must not commit without it."""
    with transaction.atomic(savepoint=False):
        head = LedgerHead.objects.select_for_update().filter(chain=entry.CHAIN).first()
        if head is None:
            LedgerHead.objects.get_or_create(chain=entry.CHAIN)
            head = LedgerHead.objects.select_for_update().get(chain=entry.CHAIN)
        entry.seq = head.seq + 1
        entry.prev_hash = head.hash
        entry.hash = chain.entry_hash(entry.prev_hash, entry.chain_payload())
        entry.save(force_insert=True)
        LedgerHead.objects.filter(chain=entry.CHAIN).update(seq=entry.seq, hash=entry.hash)
    return entry


def _entries(model: type[ChainedEntry]) -> Iterator[chain.Entry]:
    last = 0
    while True:
        batch = list(model._default_manager.filter(seq__gt=last).order_by("seq")[:BATCH])
        if not batch:
            return
        for row in batch:
            assert row.seq is not None  # noqa: S101  # filtered above
            yield chain.Entry(row.seq, row.prev_hash, row.hash, row.chain_payload())
        last = batch[-1].seq or last


def chain_verify(model: type[ChainedEntry]) -> tuple[int, chain.Break | None]:
    """Walk the model's chain in order: (entries checked, first break or None). The head must
    point at the last entry, so removing entries from the end is found too."""
    checked = 0

    def counted() -> Iterator[chain.Entry]:
        nonlocal checked
        for entry in _entries(model):
            checked += 1
            yield entry

    broken = chain.verify(counted())
    if broken is not None:
        return checked, broken
    head = LedgerHead.objects.filter(chain=model.CHAIN).first()
    last = model._default_manager.order_by("-seq").values_list("seq", "hash").first()
    head_at = (head.seq, head.hash) if head else (0, chain.GENESIS)
    if (last or (0, chain.GENESIS)) != head_at:
        return checked, chain.Break(head_at[0], "entries after it were removed")
    if model._default_manager.filter(seq__isnull=True).exists():
        return checked, chain.Break(0, "an entry was added outside the chain")
    return checked, None
