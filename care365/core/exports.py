"""Streaming a table out as .csv or .xlsx in constant memory, for any list an app exports.

The rows come from a generator (a selector reading the database in chunks); nothing here holds
more than one chunk of them:

- **CSV** is written line by line and sent as it is made, UTF-8 with a byte-order mark, so that
  Excel (which otherwise reads a CSV in the system's legacy code page) shows Chinese correctly.
- **xlsx** is a zip whose directory comes last, so it cannot be sent before it is finished:
  XlsxWriter writes it in `constant_memory` mode (each row goes to a temporary file as it is
  written, strings inline rather than in a shared table held in memory) to a temporary file,
  which is then sent in blocks (docs/dependencies.md, "XlsxWriter").

Under ASGI, Django reads a synchronous iterator of a streaming response into one list before
sending it (`StreamingHttpResponse.__aiter__`), which would hold the whole file in memory: so an
ASGI request gets an asynchronous iterator that pulls one block at a time from the synchronous
one, on the request's own thread (`thread_sensitive`), where its database cursor lives.

Cells that a spreadsheet would read as a formula (text starting with = + - @) are written as
text: CSV prefixes them with an apostrophe (OWASP's advice against CSV injection), XlsxWriter
is told never to turn a string into a formula, a link or a number.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import IO, Any

import xlsxwriter
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone

BOM = "\ufeff"
BLOCK = 64 * 1024  # bytes sent at a time
FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Line:
    """A file-like object whose write() returns what it was given: csv.writer makes one line."""

    def write(self, value: str) -> str:
        return value


def _text(value: Any) -> Any:
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value.tzinfo else value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_blocks(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """The CSV file in blocks of about BLOCK bytes: a BOM, the header, then the rows."""
    writer = csv.writer(_Line())
    parts = [BOM, writer.writerow([_text(h) for h in header])]
    size = 0
    for row in rows:
        line = writer.writerow([_text(v) for v in row])
        parts.append(line)
        size += len(line)
        if size >= BLOCK // 3:  # up to 3 bytes a character in UTF-8
            yield "".join(parts).encode("utf-8")
            parts, size = [], 0
    yield "".join(parts).encode("utf-8")


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo:
        return timezone.localtime(value).replace(tzinfo=None)
    if value is None:
        return ""
    return value


def xlsx_write(
    out: IO[bytes],
    sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]],
    *,
    constant_memory: bool = True,
) -> None:
    """Write a workbook to `out`: one sheet per (title, header, rows). Rows are written as they
    come (`constant_memory`: each row is flushed to a temporary file once the next begins)."""
    book = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": constant_memory,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "default_date_format": "yyyy-mm-dd",
            "tmpdir": tempfile.gettempdir(),
        },
    )
    bold = book.add_format({"bold": True})
    for title, header, rows in sheets:
        sheet = book.add_worksheet(title[:31])  # Excel's limit on a sheet's name
        sheet.write_row(0, 0, list(header), bold)
        sheet.freeze_panes(1, 0)
        for r, row in enumerate(rows, start=1):
            sheet.write_row(r, 0, [_xlsx_cell(v) for v in row])
    book.close()


def xlsx_blocks(
    title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> Iterator[bytes]:
    """The xlsx file in blocks: written to a temporary file first (a zip ends with its
    directory), then read back BLOCK bytes at a time."""
    with tempfile.TemporaryFile() as out:
        xlsx_write(out, [(title, header, rows)])
        out.seek(0)
        while block := out.read(BLOCK):
            yield block


def _next_block(blocks: Iterator[bytes]) -> bytes | None:
    return next(blocks, None)


async def _async_blocks(blocks: Iterator[bytes]) -> AsyncIterator[bytes]:
    pull = sync_to_async(_next_block, thread_sensitive=True)
    try:
        while (block := await pull(blocks)) is not None:
            yield block
    finally:
        close = getattr(blocks, "close", None)
        if close is not None:
            await sync_to_async(close, thread_sensitive=True)()


def table_response(
    request: HttpRequest,
    fmt: str,
    *,
    filename: str,
    title: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> StreamingHttpResponse:
    """A streamed download of one table as `fmt` ("csv" or "xlsx"); `filename` without its
    extension (ASCII: a list's name and the date, never a child's)."""
    blocks = csv_blocks(header, rows) if fmt == "csv" else xlsx_blocks(title, header, rows)
    content: Any = _async_blocks(blocks) if isinstance(request, ASGIRequest) else blocks
    response = StreamingHttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
