"""Reads for the import pages: the rows' errors, the new users' links."""

from __future__ import annotations

from django.db.models import QuerySet

from care365.accounts.imports import set_password_link, users_awaiting_password
from care365.core.imports.columns import message_for
from care365.imports.access import IMPORTERS
from care365.imports.models import ImportFileChunk, ImportKind, ImportRecord, ImportRowError


def report_phase(record: ImportRecord) -> str:
    """Whose errors the page shows: the apply's once it wrote anything, else the check's."""
    if (
        record.rows_done
        or ImportRowError.objects.filter(record=record, phase=ImportRowError.Phase.APPLY).exists()
    ):
        return ImportRowError.Phase.APPLY
    return ImportRowError.Phase.CHECK


def row_errors(record: ImportRecord, phase: str) -> QuerySet[ImportRowError]:
    return ImportRowError.objects.filter(record=record, phase=phase).order_by("row", "pk")


def refused_rows(record: ImportRecord, phase: str) -> int:
    return row_errors(record, phase).values("row").distinct().count()


def error_messages(record: ImportRecord, phase: str) -> dict[int, list[tuple[str, str]]]:
    """{row: [(column's header, message)]} in the active language."""
    columns = {c.key: c for c in IMPORTERS[record.kind].columns}
    found: dict[int, list[tuple[str, str]]] = {}
    for error in row_errors(record, phase).iterator(chunk_size=2000):
        column = columns.get(error.column)
        label = str(column.label) if column else error.column
        found.setdefault(error.row, []).append((label, message_for(error.code, error.detail)))
    return found


def has_file(record: ImportRecord) -> bool:
    return ImportFileChunk.objects.filter(record=record).exists()


def welcome_links(record: ImportRecord) -> list[tuple[str, str]]:
    """(username, path) of each user the import created who has not set a password yet."""
    if record.kind != ImportKind.USERS or record.state != ImportRecord.State.DONE:
        return []
    return [(u.username, set_password_link(u)) for u in users_awaiting_password(record.pk)]
