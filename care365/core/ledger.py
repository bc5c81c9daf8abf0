"""Appending to and verifying the keyed chains of the logs (the audit trail, the access log).

Appending moves the chain's head row (`LedgerHead`) on by one and reads it in the same statement
(`UPDATE ... SET seq = seq + 1 ... RETURNING seq, hash`): the update locks the row on PostgreSQL,
and SQLite serialises write transactions. The entry is numbered with the new `seq`, MACed with the
current audit key over the head's MAC and its own fields, and inserted, and the head takes the
entry's MAC, all in one transaction: many app processes append to one gapless chain. The lock is
held to the end of the caller's transaction, so services keep their transactions short.

The audit keys come from CARE365_AUDIT_KEYS: the first MACs new entries, every one listed verifies
(a retired key still verifies the entries it MACed).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction

from care365.core import chain
from care365.core.models import AppendOnlyError, ChainedEntry, LedgerHead

E = TypeVar("E", bound=ChainedEntry)

BATCH = 2000

# Statements on the head row (an append is on the path of every single-child read, so the head
# is moved and read in one statement); names from the model, values as parameters.
_HEAD = f'"{LedgerHead._meta.db_table}"'  # both databases quote names this way
# Moves the head on and returns the entry's number and the hash it follows.
_NEXT = f'UPDATE {_HEAD} SET "seq" = "seq" + 1 WHERE "chain" = %s'  # noqa: S608  # see above
_NEXT_RETURNING = f'{_NEXT} RETURNING "seq", "hash"'
_READ = f'SELECT "seq", "hash" FROM {_HEAD} WHERE "chain" = %s'  # noqa: S608  # see above
# The first entry of a chain: its head starts at 0 (concurrent first appends make one row).
_START = f'INSERT INTO {_HEAD} ("chain", "seq", "hash") VALUES (%s, 0, %s) ON CONFLICT DO NOTHING'  # noqa: S608  # see above
_MOVE = f'UPDATE {_HEAD} SET "hash" = %s WHERE "chain" = %s'  # noqa: S608  # see above


@cache
def _keys(configured: tuple[str, ...]) -> tuple[tuple[str, bytes], ...]:
    return tuple((chain.key_id(k.encode("utf-8")), k.encode("utf-8")) for k in configured)


def audit_keys() -> dict[str, bytes]:
    """Every configured audit key by its id: these verify."""
    return dict(_keys(tuple(settings.AUDIT_KEYS)))


def audit_key_current() -> tuple[str, bytes]:
    """(id, key) of the first configured audit key: it MACs new entries and signs checkpoints."""
    return _keys(tuple(settings.AUDIT_KEYS))[0]


def chained_models() -> list[type[ChainedEntry]]:
    """Every model whose entries form a chain (the audit trail, the access log)."""
    return [m for m in apps.get_models() if issubclass(m, ChainedEntry)]


def _update_returns_rows() -> bool:
    """Databases that return columns from an insert do so from an update too (SQLite >= 3.35)."""
    return bool(connection.features.can_return_columns_from_insert)


def _next(cursor: Any, name: str) -> tuple[int, str]:
    """Move the head of chain `name` on by one (locking it) and return (new seq, its hash)."""
    returning = _update_returns_rows()
    for _ in range(2):
        if returning:
            cursor.execute(_NEXT_RETURNING, [name])
            row = cursor.fetchone()
        else:
            cursor.execute(_NEXT, [name])
            row = None
            if cursor.rowcount:
                cursor.execute(_READ, [name])
                row = cursor.fetchone()
        if row is not None:
            return int(row[0]), str(row[1])
        cursor.execute(_START, [name, chain.GENESIS])
    raise LedgerHead.DoesNotExist(name)  # the row was made just above: not reached


def chain_append(entry: E) -> E:
    """Number, hash and insert `entry`; call inside or outside a transaction. Inside one it
    takes no savepoint of its own: an entry that cannot be written fails the caller's whole
    transaction, which must not commit without it."""
    if not entry._state.adding:
        raise AppendOnlyError(f"{entry._meta.label} entries are never changed")
    entry.key_id, key = audit_key_current()
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        entry.seq, entry.prev_hash = _next(cursor, entry.CHAIN)
        entry.hash = chain.entry_mac(key, entry.prev_hash, entry.chain_payload())
        entry.save(force_insert=True)
        cursor.execute(_MOVE, [entry.hash, entry.CHAIN])
    return entry


def _entries(
    model: type[ChainedEntry], *, after_seq: int = 0, up_to: int | None = None
) -> Iterator[chain.Entry]:
    last = after_seq
    rows = model._default_manager.all()
    if up_to is not None:
        rows = rows.filter(seq__lte=up_to)
    while True:
        batch = list(rows.filter(seq__gt=last).order_by("seq")[:BATCH])
        if not batch:
            return
        for row in batch:
            assert row.seq is not None  # noqa: S101  # filtered above
            yield chain.Entry(row.seq, row.prev_hash, row.hash, row.chain_payload(), row.key_id)
        last = batch[-1].seq or last


def chain_verify(model: type[ChainedEntry]) -> tuple[int, chain.Break | None]:
    """Walk the model's chain in order with the audit keys: (entries checked, first break or
    None). The head must point at the last entry, so removing entries from the end is found too."""
    checked = 0

    def counted() -> Iterator[chain.Entry]:
        nonlocal checked
        for entry in _entries(model):
            checked += 1
            yield entry

    broken = chain.verify(counted(), audit_keys())
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


def chain_verify_since(
    model: type[ChainedEntry], *, after: chain.Checkpoint | None, up_to: int
) -> chain.Break | None:
    """Check the entries after a checkpoint (all of them without one) up to entry `up_to`: the
    daily checkpoint looks at each day's new entries only, which keeps it cheap on a long log."""
    after_seq, after_hash = (after.seq, after.mac) if after else (0, chain.GENESIS)
    if after is not None and after.seq:
        at = chain_macs_at(model, [after.seq]).get(after.seq)
        if at != after.mac:
            return chain.Break(after.seq, "does not match the last checkpoint")
    entries = _entries(model, after_seq=after_seq, up_to=up_to)
    return chain.verify(entries, audit_keys(), after_seq=after_seq, after_hash=after_hash)


def chain_macs_at(model: type[ChainedEntry], seqs: Iterable[int]) -> dict[int, str]:
    """{seq: MAC} of the entries with these numbers (those that exist)."""
    wanted = sorted(set(seqs))
    found: dict[int, str] = {}
    for start in range(0, len(wanted), BATCH):
        part = wanted[start : start + BATCH]
        for seq, mac in model._default_manager.filter(seq__in=part).values_list("seq", "hash"):
            if seq is not None:
                found[seq] = mac
    return found


def chain_append_many(entries: list[E]) -> list[E]:
    """Number, hash and insert many entries of one chain at once, inside the caller's
    transaction: the head moves on by len(entries) in one statement (locking it as one append
    does), the MACs are computed in order, and the entries are inserted together. An import
    writes one audit row per record this way without one round trip per row."""
    if not entries:
        return entries
    model = type(entries[0])
    key_id, key = audit_key_current()
    count = len(entries)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        last_seq, prev = _next(cursor, model.CHAIN)  # seq + 1, locked
        if count > 1:
            cursor.execute(
                f'UPDATE {_HEAD} SET "seq" = "seq" + %s WHERE "chain" = %s',  # noqa: S608  # see _NEXT
                [count - 1, model.CHAIN],
            )
        seq = last_seq
        for entry in entries:
            if not entry._state.adding or type(entry) is not model:
                raise AppendOnlyError(f"{entry._meta.label} entries are never changed")
            entry.key_id = key_id
            entry.seq, entry.prev_hash = seq, prev
            entry.hash = chain.entry_mac(key, prev, entry.chain_payload())
            prev = entry.hash
            seq += 1
        model._default_manager.bulk_create(entries, batch_size=BATCH)
        cursor.execute(_MOVE, [prev, model.CHAIN])
    return entries


def audit_append_rows(
    *,
    actor_id: int | None,
    action: str,
    object_type: str,
    note: str,
    at: datetime,
    items: list[tuple[int, list[str]]],
) -> int:
    """Audit rows of one action on many records ([(object id, changed fields)]), appended to the
    chain as `chain_append_many` does, without building a model instance per row: on
    PostgreSQL the rows go in by COPY. The MAC of each is the one `AuditEvent.chain_payload`
    gives (the chain verifies them like any other). Returns how many were written."""
    from care365.core.imports import bulk
    from care365.core.models import AuditEvent

    if not items:
        return 0
    key_id, key = audit_key_current()
    moment = at.astimezone(UTC).isoformat()
    rows = []
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        seq, prev = _next(cursor, AuditEvent.CHAIN)
        if len(items) > 1:
            cursor.execute(
                f'UPDATE {_HEAD} SET "seq" = "seq" + %s WHERE "chain" = %s',  # noqa: S608  # see _NEXT
                [len(items) - 1, AuditEvent.CHAIN],
            )
        for object_id, changes in items:
            payload = {
                "seq": seq,
                "at": moment,
                "actor": actor_id,
                "action": action,
                "object_type": object_type,
                "object_id": object_id,
                "changes": changes,
                "note": note,
            }
            mac = chain.entry_mac(key, prev, payload)
            rows.append((seq, prev, mac, key_id, at, actor_id, action, object_type, object_id,
                         json.dumps(changes), note))  # fmt: skip
            prev = mac
            seq += 1
        if bulk.is_postgres():
            fields = ("seq", "prev_hash", "hash", "key_id", "at", "actor", "action",
                      "object_type", "object_id", "changes", "note")  # fmt: skip
            bulk.copy_rows(AuditEvent, fields, rows)
        else:
            AuditEvent.objects.bulk_create(
                [
                    AuditEvent(
                        seq=r[0], prev_hash=r[1], hash=r[2], key_id=r[3], at=r[4],
                        actor_id=r[5], action=r[6], object_type=r[7], object_id=r[8],
                        changes=json.loads(r[9]), note=r[10],
                    )
                    for r in rows
                ],
                batch_size=BATCH,
            )  # fmt: skip
        cursor.execute(_MOVE, [prev, AuditEvent.CHAIN])
    return len(rows)
