"""Reading an imported file row by row: .xlsx (python-calamine) and .csv (UTF-8 with or without
a byte-order mark, or GB18030, as county offices' spreadsheets save them).

A file is read as a header row and the data rows under it. Registers often have a title or two
above the header ("XX村农村留守儿童花名册"), so the header is the first of the top rows in which at
least two cells are headers the importer knows (`find_header`). Rows are numbered as the
spreadsheet numbers them (the first line of the file is row 1), so a report's "row 7" is the row
the clerk sees as 7.

A .csv is streamed: memory stays flat whatever its size. calamine decodes an .xlsx sheet into
memory as a whole (about 125 bytes a cell), fast; a sheet of more than `CALAMINE_MAX_CELLS`
cells is streamed instead by openpyxl's read-only reader (several times slower, memory flat), so
that memory stays bounded whatever the file holds (Excel itself stops at 1,048,576 rows).
"""

from __future__ import annotations

import codecs
import csv
import math
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

# What a cell holds once read: text, a date (Excel date cells), or nothing.
Cell = str | date | None

CSV_ENCODINGS = ("utf-8-sig", "gb18030")
_SNIFF_BYTES = 1 << 20
HEADER_SEARCH_ROWS = 10
# A sheet of more cells is streamed rather than decoded whole: 125,000 rows of the template's
# 20 columns, which calamine holds in about 300 MB (bench/import.py).
CALAMINE_MAX_CELLS = 2_500_000
# Where a sheet does not record its dimensions, its cells are guessed from its XML's size
# (a cell of text written inline takes about 57 bytes, one of a shared string fewer).
_XML_BYTES_PER_CELL = 50
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension ref="([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?"')


class UnreadableFile(ValueError):  # noqa: N818  # reads as what happened: "unreadable file"
    """Not an .xlsx or .csv file this reader understands; `reason` is a stable code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def file_format(path: Path) -> str:
    """ "xlsx" or "csv", by the file's first bytes (a zip is an .xlsx), whatever its name says."""
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic == b"PK\x03\x04":
        return "xlsx"
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile("xls")  # the old binary .xls: save as .xlsx
    return "csv"


def csv_encoding(path: Path) -> str:
    """utf-8-sig when the file is UTF-8 (with or without a BOM), else gb18030 (which also reads
    GBK and GB2312): the two ways Chinese offices' spreadsheets save a .csv."""
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=len(head) < _SNIFF_BYTES)
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("gb18030")().decode(head, final=len(head) < _SNIFF_BYTES)
    except UnicodeDecodeError as exc:
        raise UnreadableFile("encoding") from exc
    return "gb18030"


def _cell_text(value: object) -> Cell:
    """A calamine cell as text or a date: numbers as typed (1.0 -> "1", no exponent)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value):
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, time | timedelta):
        return str(value)
    return str(value)


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def sheet_cells(path: Path) -> int:
    """About how many cells the workbook's largest sheet spans: its recorded dimensions (the
    first bytes of its XML), or a guess from the XML's size where it records none."""
    largest = 0
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if not info.filename.startswith("xl/worksheets/sheet"):
                    continue
                with archive.open(info) as part:
                    head = part.read(4096)
                found = _DIMENSION.search(head)
                if found and found[3]:
                    rows = int(found[4]) - int(found[2]) + 1
                    columns = _column_number(found[3]) - _column_number(found[1]) + 1
                    cells = rows * columns
                else:
                    cells = info.file_size // _XML_BYTES_PER_CELL
                largest = max(largest, cells)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableFile("xlsx") from exc
    return largest


def streamed(path: Path) -> bool:
    """Whether the .xlsx is too large to decode whole (`CALAMINE_MAX_CELLS`)."""
    return sheet_cells(path) > CALAMINE_MAX_CELLS


def _xlsx_rows(path: Path) -> Iterator[list[Cell]]:
    if streamed(path):
        yield from _xlsx_rows_streamed(path)
        return
    # skip_empty_area=False: the rows keep the numbers the spreadsheet shows.
    for raw in _calamine_sheet(path).iter_rows():
        yield [_cell_text(v) for v in raw]


def _calamine_sheet(path: Path) -> Any:
    """The first visible sheet of the workbook, decoded by calamine."""
    from python_calamine import CalamineWorkbook, SheetVisibleEnum

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for broken files
        raise UnreadableFile("xlsx") from exc
    names = [m.name for m in book.sheets_metadata if m.visible == SheetVisibleEnum.Visible]
    if not names:
        raise UnreadableFile("empty")
    return book.get_sheet_by_name(names[0])


def _visible_sheet(path: Path) -> Any:
    """The first visible sheet of the workbook, opened by openpyxl's read-only reader (the
    caller closes its workbook, `sheet.parent`)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many error types for broken files
        raise UnreadableFile("xlsx") from exc
    visible = [ws for ws in book.worksheets if ws.sheet_state == "visible"]
    if not visible:
        book.close()
        raise UnreadableFile("empty")
    return visible[0]


def _xlsx_rows_streamed(path: Path) -> Iterator[list[Cell]]:
    """The rows of a large .xlsx, one at a time (openpyxl fills skipped rows with empty ones,
    so the rows keep the numbers the spreadsheet shows, as calamine's do)."""
    sheet = _visible_sheet(path)
    try:
        for raw in sheet.iter_rows(values_only=True):
            yield [_cell_text(v) for v in raw]
    finally:
        sheet.parent.close()


def _csv_rows(path: Path) -> Iterator[list[Cell]]:
    encoding = csv_encoding(path)
    with path.open("r", encoding=encoding, newline="") as handle:
        sample = handle.read(64 * 1024)
        handle.seek(0)
        first = sample.splitlines()[0] if sample else ""
        delimiter = max(",\t;", key=first.count) if first else ","
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            for raw in reader:
                yield [v if v.strip() else None for v in raw]
        except (UnicodeDecodeError, csv.Error) as exc:
            raise UnreadableFile("encoding") from exc


def read_rows(path: Path) -> Iterator[list[Cell]]:
    """Every row of the file's first visible sheet (or of the .csv), from row 1."""
    if file_format(path) == "xlsx":
        return _xlsx_rows(path)
    return _csv_rows(path)


@dataclass
class Table:
    """The header (its row number and cells) and an iterator over (row number, cells) below it."""

    header_row: int
    header: list[str]
    rows: Iterator[tuple[int, list[Cell]]]

    def close(self) -> None:
        close = getattr(self.rows, "close", None)
        if close is not None:
            close()


def header_text(value: Cell) -> str:
    if value is None:
        return ""
    return str(value).strip()


def open_table(path: Path, *, is_header: Callable[[list[Cell]], bool] | None = None) -> Table:
    """The file's header and its data rows. `is_header(cells)` picks the header among the first
    rows (the first row when no row passes, or without a test)."""
    rows = read_rows(path)
    top: list[list[Cell]] = []
    for cells in rows:
        top.append(cells)
        if len(top) >= HEADER_SEARCH_ROWS:
            break
    if not top:
        raise UnreadableFile("empty")
    at = 0
    if is_header is not None:
        at = next((i for i, cells in enumerate(top) if is_header(cells)), 0)

    def body() -> Iterator[tuple[int, list[Cell]]]:
        number = at + 1
        for cells in top[at + 1 :]:
            number += 1
            yield number, cells
        for cells in rows:
            number += 1
            yield number, cells

    return Table(header_row=at + 1, header=[header_text(c) for c in top[at]], rows=body())


def estimate_rows(path: Path, header_row: int) -> int:
    """About how many data rows the file has (lines or the sheet's height, less the header and
    what is above it): a progress bar's total before the check has counted them."""
    if file_format(path) == "xlsx":
        if streamed(path):  # the sheet's recorded dimensions, without reading its rows
            ws = _visible_sheet(path)
            height = int(ws.max_row or 0)
            ws.parent.close()
            return max(0, height - header_row)
        return max(0, int(_calamine_sheet(path).height) - header_row)
    lines = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            lines += block.count(b"\n")
    return max(0, lines - header_row)
