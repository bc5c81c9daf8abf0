"""The shared import engine: rows read, parsed and checked a chunk at a time by an importer.

An importer (`Importer`) belongs to the app that owns the records (registry: children; carers:
carers; accounts: users). It names its columns, reads a chunk's database facts in a few queries
(`check`), and writes a chunk (`apply`, called inside the chunk's transaction). The engine reads
the file, maps its columns, reads each cell (columns.Column.reader), finds rows that repeat an
earlier row's key, and hands the importer chunks. Where the chunks' progress is recorded and how
a stopped import resumes is the imports app's business (care365/imports/services.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Model

from care365.core.imports.columns import Column, ErrorCode, RowError
from care365.core.imports.tabular import Cell, Table


@dataclass(frozen=True)
class Scope:
    """Where an import may write: the county, and the areas of the importing user's scope
    (`village_ids` for children; `area_ids`, the whole subtree, for carers and users)."""

    county_id: int
    county_code: str
    village_ids: frozenset[int]
    area_ids: frozenset[int]


@dataclass
class Row:
    """One data row: its number in the file, the values read, its errors, and what the
    importer found out about it (`found`: the existing record's id, and so on)."""

    number: int
    values: dict[str, Any]
    errors: list[RowError] = field(default_factory=list)
    found: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def refuse(self, column: str, code: str, detail: str = "") -> None:
        self.errors.append(RowError(self.number, column, code, detail))


@dataclass
class Applied:
    created: int = 0
    updated: int = 0


class Importer:
    """Base of the apps' importers. Subclasses set `kind`, `columns` and `key_column`, and
    implement `check` (database facts for a chunk; refuse rows) and `apply` (write a chunk's
    good rows; runs inside the chunk's transaction and writes the audit rows)."""

    kind: ClassVar[str] = ""
    columns: ClassVar[tuple[Column, ...]] = ()
    # The column whose value may appear once in a file (the ID number, a username), if any.
    key_column: ClassVar[str | None] = None
    # Whether `recheck` can check rows `check` has checked (in another instance, earlier) again
    # for what the database may have changed since: an all-or-nothing apply then reads the rows
    # the check kept rather than the file again.
    replayable: ClassVar[bool] = False
    # The tables an apply writes most to: their statistics are refreshed as they grow.
    grows: ClassVar[tuple[type[Model], ...]] = ()
    # Whether a chunk may be applied while the chunk before it commits (on PostgreSQL, a
    # thread and a connection each: imports/services.py). Such an importer's `apply` calls
    # `earlier_chunks_committed()` before anything that reads or locks what an earlier chunk
    # may have written; what comes before it (new rows of its own) runs beside the earlier
    # chunk's end.
    overlaps: ClassVar[bool] = False

    def __init__(
        self, *, scope: Scope, actor: AbstractBaseUser, import_id: int, today: date
    ) -> None:
        self.scope = scope
        self.actor = actor
        self.import_id = import_id
        self.today = today

    def key(self, row: Row) -> Any:
        """The row's in-file key (compared across the whole file), or None."""
        if self.key_column is None:
            return None
        return row.values.get(self.key_column)

    def check(self, rows: list[Row]) -> None:
        raise NotImplementedError

    def recheck(self, rows: list[Row]) -> None:
        """Check rows `check` passed again for what the database may have changed since (a
        `replayable` importer's; the rows carry what `check` found out)."""
        raise NotImplementedError

    def apply(self, rows: list[Row]) -> Applied:
        raise NotImplementedError


_chunk = threading.local()


def earlier_chunks_committed() -> None:
    """In an import whose chunks overlap (`Importer.overlaps`), wait until every earlier chunk
    has committed; raise `EarlierChunkFailedError` if one did not, so that this chunk rolls back
    too. Elsewhere, nothing to wait for."""
    wait: Callable[[], None] | None = getattr(_chunk, "wait", None)
    if wait is not None:
        wait()


class EarlierChunkFailedError(Exception):
    """An earlier chunk of the import did not commit: this one must not either."""


def chunk_waits_on(wait: Callable[[], None] | None) -> None:
    """This thread's `earlier_chunks_committed` (imports/services.py sets it per chunk)."""
    _chunk.wait = wait


class RowReader:
    """Reads a file's data rows with one mapping: each column's cell index, reader and whether
    it is required, worked out once per file rather than once per row."""

    def __init__(self, mapping: Mapping[str, int], columns: tuple[Column, ...]) -> None:
        self.plan = [
            (column.key, mapping.get(column.key), column.required, column.reader, column)
            for column in columns
        ]

    def __call__(self, number: int, cells: list[Cell]) -> Row | None:
        """The row's mapped cells read; None for a row whose mapped cells are all blank."""
        values: dict[str, Any] = {}
        row = Row(number, values)
        blank = True
        width = len(cells)
        for key, index, required, reader, column in self.plan:
            cell = cells[index] if index is not None and index < width else None
            if cell is None or (cell.__class__ is str and not cell.strip()):
                values[key] = None
                if required:
                    row.refuse(key, ErrorCode.MISSING)
                continue
            blank = False
            value, code, detail = reader(column, cell)
            values[key] = value
            if code:
                row.refuse(key, code, detail)
        return None if blank else row


class KeySeen:
    """The keys of the rows read so far, with the first row that had each: the in-file
    duplicate check across a whole file. Kept compact (a key is usually an ID number)."""

    def __init__(self) -> None:
        self.first: dict[Any, int] = {}

    def see(self, key: Any, number: int) -> int | None:
        """Record the key; the number of an earlier row with the same key, if any."""
        earlier = self.first.get(key)
        if earlier is None:
            self.first[key] = number
        return earlier


def rows_of(
    table: Table,
    importer: Importer,
    mapping: Mapping[str, int],
    *,
    seen: KeySeen,
    start_after: int = 0,
) -> Iterator[Row]:
    """The file's non-blank rows, read and checked for repeats; rows up to `start_after` (a row
    number) are only read for their keys, so that a resumed import still finds repeats of rows
    applied before it stopped."""
    read = RowReader(mapping, importer.columns)
    for number, cells in table.rows:
        row = read(number, cells)
        if row is None:
            continue
        key = importer.key(row)
        if key is not None and importer.key_column is not None:
            earlier = seen.see(key, number)
            if earlier is not None and number > start_after:
                row.refuse(importer.key_column, ErrorCode.DUPLICATE_IN_FILE)
        if number > start_after:
            yield row


def chunked(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
