"""Writing generated children in chunks: COPY on PostgreSQL, bulk_create on SQLite.

Both write the same rows the models and the registry's services would: the ID number encrypted
and its keyed hash beside it, address and phones encrypted (the entrusted carer's phone with its
keyed hash), the name's pinyin sort key (Child.name_sort), and the copy of the kinds of the
child's open statuses (Child.open_statuses) set with the row, since every generated status is
open. On PostgreSQL the rows bypass the ORM, so this
module encrypts and hashes them itself with care365.core.crypto, and takes child ids from the
table's own sequence so statuses, parents and entrusted carers can point at them in the same
chunk.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from django.db import connection, transaction

from care365.core import crypto
from care365.registry import names
from care365.registry.models import (
    Child,
    ChildStatus,
    Consent,
    ConsentPurpose,
    Guardian,
    Parent,
    status_bits,
)
from care365.seeding.seed.children import ChildRow

CHILD_COLUMNS = (
    "id",
    "name",
    "name_sort",
    "sex",
    "birth_date",
    "ethnicity",
    "id_number",
    "id_number_hash",
    "hukou",
    "village",
    "address",
    "school",
    "grade",
    "boarding",
    "health_notes",
    "disability_notes",
    "interests",
    "languages",
    "income_source",
    "registered_at",
    "updated_at",
    "exit_reason",
    "open_statuses",
)
STATUS_COLUMNS = ("child", "kind", "started_on", "end_reason")
PARENT_COLUMNS = (
    "child",
    "role",
    "name",
    "situation",
    "work_place",
    "away_since",
    "unable_reason",
    "phone",
)
GUARDIAN_COLUMNS = (
    "child",
    "name",
    "relationship",
    "phone",
    "phone_hash",
    "suitability_checked_on",
    "parents_notified_village_on",
)

CONSENT_COLUMNS = ("child", "purpose", "given_on", "reference")


def _consents(row: ChildRow) -> list[tuple[str, date]]:
    """The guardian's written consents of a seeded child: (purpose, given on)."""
    given = (
        (ConsentPurpose.VOLUNTEER, row.volunteer_consent_on),
        (ConsentPurpose.HEALTH_SCREENING, row.health_consent_on),
    )
    return [(purpose, day) for purpose, day in given if day is not None]


def _copy_sql(model: type[Any], fields: Sequence[str]) -> str:
    meta = model._meta
    columns = ", ".join(connection.ops.quote_name(meta.get_field(f).column) for f in fields)
    return f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN"


def next_ids(model: type[Any], count: int) -> list[int]:
    """Reserve `count` ids from the table's own sequence (PostgreSQL), safe beside other writers."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_rows(model: type[Any], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """COPY rows into the model's table (PostgreSQL), inside the current transaction."""
    with connection.cursor() as cursor, cursor.cursor.copy(_copy_sql(model, fields)) as copy:
        for row in rows:
            copy.write_row(row)


def _open_bits(row: ChildRow) -> int:
    """Child.open_statuses of a generated child: every generated status is open."""
    return status_bits(kind for kind, _started in row.statuses)


def _encrypt(value: str) -> str:
    return crypto.encrypt(value) if value else ""


def children_write(rows: list[ChildRow], village_ids: Sequence[int], *, now: datetime) -> None:
    """Write one chunk of children with everything attached, in one transaction."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            _postgres_write(rows, village_ids, now=now)
        else:
            _orm_write(rows, village_ids)


def _postgres_write(rows: list[ChildRow], village_ids: Sequence[int], *, now: datetime) -> None:
    ids = next_ids(Child, len(rows))
    pairs = list(zip(ids, rows, strict=True))
    copy_rows(
        Child,
        CHILD_COLUMNS,
        (
            (
                pk, row.name, names.sort_key(row.name), row.sex, row.birth_date, row.ethnicity,
                crypto.encrypt(row.id_number), crypto.lookup_hash(row.id_number), row.hukou,
                village_ids[row.village], _encrypt(row.address), row.school, row.grade,
                row.boarding, row.health_notes, row.disability_notes, json.dumps(row.interests),
                json.dumps(row.languages), row.income_source, now, now, "", _open_bits(row),
            )
            for pk, row in pairs
        ),
    )  # fmt: skip
    copy_rows(
        ChildStatus,
        STATUS_COLUMNS,
        ((pk, kind, started, "") for pk, row in pairs for kind, started in row.statuses),
    )
    copy_rows(
        Parent,
        PARENT_COLUMNS,
        (
            (
                pk, p.role, p.name, p.situation, p.work_place, p.away_since, p.unable_reason,
                _encrypt(p.phone),
            )
            for pk, row in pairs
            for p in row.parents
        ),
    )  # fmt: skip
    copy_rows(
        Guardian,
        GUARDIAN_COLUMNS,
        (
            (
                pk, g.name, g.relationship, _encrypt(g.phone), crypto.phone_hash(g.phone),
                g.suitability_checked_on, g.parents_notified_village_on,
            )
            for pk, row in pairs
            if (g := row.guardian) is not None
        ),
    )  # fmt: skip
    copy_rows(
        Consent,
        CONSENT_COLUMNS,
        ((pk, purpose, day, "") for pk, row in pairs for purpose, day in _consents(row)),
    )


def _orm_write(rows: list[ChildRow], village_ids: Sequence[int]) -> None:
    """bulk_create through the models: EncryptedTextField encrypts as it saves."""
    children = Child.objects.bulk_create(
        [
            Child(
                name=row.name,
                name_sort=names.sort_key(row.name),
                sex=row.sex,
                birth_date=row.birth_date,
                ethnicity=row.ethnicity,
                id_number=row.id_number,
                id_number_hash=crypto.lookup_hash(row.id_number),
                hukou=row.hukou,
                village_id=village_ids[row.village],
                address=row.address,
                school=row.school,
                grade=row.grade,
                boarding=row.boarding,
                health_notes=row.health_notes,
                disability_notes=row.disability_notes,
                interests=row.interests,
                languages=row.languages,
                income_source=row.income_source,
                open_statuses=_open_bits(row),
            )
            for row in rows
        ]
    )
    pairs = list(zip(children, rows, strict=True))
    ChildStatus.objects.bulk_create(
        [
            ChildStatus(child=child, kind=kind, started_on=started)
            for child, row in pairs
            for kind, started in row.statuses
        ]
    )
    Parent.objects.bulk_create(
        [
            Parent(
                child=child,
                role=p.role,
                name=p.name,
                situation=p.situation,
                work_place=p.work_place,
                away_since=p.away_since,
                unable_reason=p.unable_reason,
                phone=p.phone,
            )
            for child, row in pairs
            for p in row.parents
        ]
    )
    Guardian.objects.bulk_create(
        [
            Guardian(
                child=child,
                name=row.guardian.name,
                relationship=row.guardian.relationship,
                phone=row.guardian.phone,
                suitability_checked_on=row.guardian.suitability_checked_on,
                parents_notified_village_on=row.guardian.parents_notified_village_on,
            )
            for child, row in pairs
            if row.guardian is not None
        ]
    )
    Consent.objects.bulk_create(
        [
            Consent(child=child, purpose=purpose, given_on=day)
            for child, row in pairs
            for purpose, day in _consents(row)
        ]
    )


# --- bulk rows for the history (seed/history) --------------------------------------------------


def _utc_text(value: datetime) -> str:
    """An aware datetime as Django's SQLite backend stores it: naive UTC text."""
    return str(value.astimezone(UTC).replace(tzinfo=None))


def _adapted(model: type[Any], fields: Sequence[str]) -> list[Any]:
    """Per field, how a Python value becomes what the driver takes: on SQLite, dates and aware
    datetimes as Django writes them (ISO text, datetimes in UTC); everything else as it is."""
    adapters: list[Any] = []
    for name in fields:
        internal = model._meta.get_field(name).get_internal_type()
        if connection.vendor != "sqlite":
            adapters.append(None)
        elif internal == "DateTimeField":
            adapters.append(_utc_text)
        elif internal == "DateField":
            adapters.append(date.isoformat)
        else:
            adapters.append(None)
    return adapters


def rows_insert(model: type[Any], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert plain rows (values in `fields` order; JSON as text, decimals as text) into the
    model's table: COPY on PostgreSQL, one prepared INSERT run over all rows on SQLite. The
    history's big tables (contacts, examinations) go this way, beside the model's save()."""
    if connection.vendor == "postgresql":
        count = 0

        def counted() -> Iterable[Sequence[Any]]:
            nonlocal count
            for row in rows:
                count += 1
                yield row

        copy_rows(model, fields, counted())
        return count
    meta = model._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(f).column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608  # names from the model
    adapters = _adapted(model, fields)
    batch = [
        tuple(v if a is None or v is None else a(v) for a, v in zip(adapters, row, strict=True))
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, batch)
    return len(batch)


def rows_update(model: type[Any], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Set `fields` of many rows by primary key: each row is (pk, *values in `fields` order)."""
    meta = model._meta
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(meta.get_field(f).column)} = %s" for f in fields)
    sql = f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608  # names from the model
    adapters = _adapted(model, fields)
    batch = [
        (
            *(
                v if a is None or v is None else a(v)
                for a, v in zip(adapters, row[1:], strict=True)
            ),
            row[0],
        )
        for row in rows
    ]
    if batch:
        with connection.cursor() as cursor:
            cursor.executemany(sql, batch)
    return len(batch)
