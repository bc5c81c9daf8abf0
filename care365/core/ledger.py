"""Appending to and verifying the hash-chained logs (the audit trail, the access log).

Appending moves the chain's head row (`LedgerHead`) on by one and reads it in the same statement
(`UPDATE ... SET seq = seq + 1 ... RETURNING seq, hash`): the update locks the row on PostgreSQL,
and SQLite serialises write transactions. The entry is numbered with the new `seq`, hashed with the
head's hash, inserted, and the head takes the entry's hash, all in one transaction: many app
processes append to one gapless chain. The lock is held to the end of the caller's transaction, so
services keep their transactions short.

An append is on the path of every single-child read, so it is written in SQL of its own: two
statements on PostgreSQL (the insert and the head's new hash go together), three on SQLite, where
statements do not cross a network.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from django.db import connection, transaction

from . import chain
from .models import AppendOnlyError, ChainedEntry, LedgerHead

E = TypeVar("E", bound=ChainedEntry)

BATCH = 2000

# Statements on the head row; names from the model, values as parameters.
_HEAD = f'"{LedgerHead._meta.db_table}"'  # both databases quote names this way
# Moves the head on and returns the entry's number and the hash it follows.
_NEXT = f'UPDATE {_HEAD} SET "seq" = "seq" + 1 WHERE "chain" = %s'  # noqa: S608  # see above
_NEXT_RETURNING = f'{_NEXT} RETURNING "seq", "hash"'
_READ = f'SELECT "seq", "hash" FROM {_HEAD} WHERE "chain" = %s'  # noqa: S608  # see above
# The first entry of a chain: its head starts at 0 (concurrent first appends make one row).
_START = f'INSERT INTO {_HEAD} ("chain", "seq", "hash") VALUES (%s, 0, %s) ON CONFLICT DO NOTHING'  # noqa: S608  # see above
_MOVE = f'UPDATE {_HEAD} SET "hash" = %s WHERE "chain" = %s'  # noqa: S608  # see above


@dataclass(frozen=True)
class _Insert:
    """How one model's entries are inserted: the columns written and the statement."""

    fields: tuple[Any, ...]  # concrete model fields, in column order
    sql: str
    # PostgreSQL: the statement also sets the head's hash (two parameters before the values)
    # and returns the new entry's key.
    moves_head: bool


def _column(field: Any) -> str:
    column: str | None = field.column
    if column is None:
        raise TypeError(f"{field}: chained entries are written to columns of their own table")
    return column


@cache
def _insert(model: type[ChainedEntry], vendor: str, with_pk: bool) -> _Insert:
    meta = model._meta
    if meta.parents:
        raise TypeError(f"{meta.label}: chained entries live in one table")
    fields = tuple(
        f
        for f in meta.local_concrete_fields
        if not f.generated and (with_pk or f is not meta.auto_field)
    )
    qn = connection.ops.quote_name
    table, columns = qn(meta.db_table), ", ".join(qn(_column(f)) for f in fields)
    values = ", ".join("%s" for _ in fields)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({values})"  # noqa: S608  # names from _meta
    if vendor != "postgresql":
        return _Insert(fields, sql, moves_head=False)
    # A data-modifying WITH runs once whether or not the insert reads it.
    return _Insert(
        fields,
        f"WITH moved AS ({_MOVE}) {sql} RETURNING {qn(_column(meta.pk))}",
        moves_head=True,
    )


def _next(cursor: Any, name: str) -> tuple[int, str]:
    """Move the head of chain `name` on by one (locking it) and return (new seq, its hash)."""
    # Databases that return columns from an insert do so from an update too (SQLite >= 3.35).
    returning = connection.features.can_return_columns_from_insert
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
    transaction, which must not commit without it.

    The row is written directly, not through `Model.save()` (so no save signals are sent)."""
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if not entry._state.adding:
            raise AppendOnlyError(f"{entry._meta.label} entries are never changed")
        # Django's own check that related objects are saved (save() makes it; not in the stubs).
        entry._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
        plan = _insert(type(entry), connection.vendor, entry.pk is not None)
        entry.seq, entry.prev_hash = _next(cursor, entry.CHAIN)
        entry.hash = chain.entry_hash(entry.prev_hash, entry.chain_payload())
        values = [f.get_db_prep_save(f.pre_save(entry, True), connection) for f in plan.fields]
        if plan.moves_head:
            cursor.execute(plan.sql, [entry.hash, entry.CHAIN, *values])
            pk = cursor.fetchone()[0]
        else:
            cursor.execute(plan.sql, values)
            pk = cursor.lastrowid if entry.pk is None else entry.pk
            cursor.execute(_MOVE, [entry.hash, entry.CHAIN])
    entry.pk = pk
    entry._state.adding = False
    entry._state.db = connection.alias
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
