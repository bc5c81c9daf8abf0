"""Writing many rows at once: COPY on PostgreSQL (with ids from the table's own sequence, so
rows of other tables in the same chunk can point at them), bulk_create elsewhere."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL
from psycopg.copy import QueuedLibpqWriter

# Joins many values into one parameter (PostgreSQL's string_to_array splits it again): a list
# passed as an array is dumped value by value by the driver, which costs more than the query.
SEPARATOR = "\x1f"


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def next_ids(model: type[Any], count: int) -> list[int]:
    """Reserve `count` ids from the table's own sequence (PostgreSQL), safe beside other writers."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_rows(model: type[Any], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """COPY rows into the model's table (PostgreSQL), inside the current transaction.

    The data goes to the server from a thread of psycopg's (`QueuedLibpqWriter`) while this one
    goes on formatting (and encrypting) the next rows: PostgreSQL inserts and indexes them as they
    arrive, at the same time, rather than after each buffer is sent."""
    meta = model._meta
    columns = ", ".join(connection.ops.quote_name(meta.get_field(f).column) for f in fields)
    sql = f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(sql, writer=QueuedLibpqWriter(raw)) as copy:
            for row in rows:
                copy.write_row(row)


def values_in(field: str, values: Iterable[Any], cast: str) -> Q:
    """`field IN values` for a few thousand values: on PostgreSQL one text parameter split by
    the database (cast to `cast`: text, date, bigint); elsewhere Django's own __in."""
    values = list(values)
    if not is_postgres():
        return Q(**{f"{field}__in": values})
    joined = SEPARATOR.join(str(v) for v in values)
    sql = f"SELECT unnest(string_to_array(%s, %s))::{cast}"  # cast is ours
    return Q(**{f"{field}__in": RawSQL(sql, [joined, SEPARATOR])})  # noqa: S611  # values are parameters
