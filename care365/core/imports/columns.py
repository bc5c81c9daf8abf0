"""Columns of an import: how a header is recognised, how a cell is read, and the row errors.

Each importer (registry, carers, accounts) lists its columns: the template's Chinese header (as
the national registry's forms word it), the common variants offices use, whether a value is
required, and what kind of value it holds. Cells are read here the same way for every importer;
what needs the database (an ID number already registered, a village of the county) is checked by
the importer, a chunk of rows at a time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import cached_property, lru_cache
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from care365.core.imports.tabular import Cell
from care365.core.phones import InvalidPhone, check_phone


class ErrorCode(StrEnum):
    """The stable codes of row errors (`care365 import --json`, docs/imports.md)."""

    ID_CHECKSUM = "id_checksum"  # not a valid ID number: shape, check character, date, region
    ID_MISMATCH = "id_mismatch"  # birth date or sex disagrees with the ID number
    UNKNOWN_VILLAGE = "unknown_village"  # no such village (or area) in the importer's scope
    BAD_DATE = "bad_date"  # not a date, or an impossible one
    MISSING = "missing"  # a required value is blank
    DUPLICATE_IN_FILE = "duplicate_in_file"  # the same key as an earlier row of the file
    DUPLICATE = "duplicate"  # a record the row may not update (outside scope, exited, ...)
    BAD_VALUE = "bad_value"  # a value that is not one of the choices, a bad phone, too long, ...


CODE_MESSAGES: dict[str, Promise] = {
    ErrorCode.ID_CHECKSUM: _("This is not a valid resident ID number."),
    ErrorCode.ID_MISMATCH: _("This does not match the ID number."),
    ErrorCode.UNKNOWN_VILLAGE: _("No such village in the area you keep the registry of."),
    ErrorCode.BAD_DATE: _("Not a date, or an impossible one: write it as 2015-03-09."),
    ErrorCode.MISSING: _("This value is required."),
    ErrorCode.DUPLICATE_IN_FILE: _("The same as an earlier row of this file."),
    ErrorCode.DUPLICATE: _("Already on record, and this import may not change that record."),
    ErrorCode.BAD_VALUE: _("This value is not one of those allowed."),
}

# Finer messages for one error, by a detail key: registered by the importers (`add_messages`),
# shown instead of the code's own message. A key names what was wrong, never a value.
DETAIL_MESSAGES: dict[str, Promise] = {
    "phone": _(
        "Enter a mainland mobile number (11 digits, starting with 1) or a landline with its area "
        "code, such as 0578-5081234."
    ),
    "too_long": _("This value is too long."),
    "number": _("Enter a whole number."),
    "decimal": _("Enter a number."),
    "future": _("The date is in the future."),
    "first_row": _("The same as an earlier row of this file."),
}


def add_messages(messages: Mapping[str, Promise]) -> None:
    DETAIL_MESSAGES.update(messages)


def message_for(code: str, detail: str = "") -> str:
    """The row error's message in the active language."""
    text = DETAIL_MESSAGES.get(detail) if detail else None
    return str(text if text is not None else CODE_MESSAGES.get(code, code))


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str  # the column's key (`Column.key`)
    code: str
    detail: str = ""


@lru_cache(maxsize=8192)
def header_key(text: str) -> str:
    """A header (or a coded cell) as it is compared: no spaces, brackets, colons or
    required-marks; lower case. Cached: a register repeats its coded values on every row."""
    return re.sub(r"[\s\u3000()（）【】\[\]*＊:：\-_/]", "", text).lower()


_LIST_SPLIT = re.compile(r"[,，、;；/|\s]+")


@dataclass(frozen=True)
class Column:
    """One column of an import. `kind` is how a cell is read: text, date, choice, multi (several
    choices in one cell), bool, phone, int, float, or raw (text the importer checks itself)."""

    key: str
    header: str  # the template's header (Chinese, as the registry's forms word it)
    label: Promise  # the column's name in the user's language (pages, reports)
    kind: str = "text"
    required: bool = False
    variants: tuple[str, ...] = ()
    choices: tuple[tuple[str, Promise], ...] = ()
    synonyms: Mapping[str, str] = field(default_factory=dict)
    max_length: int | None = None
    example: str = ""

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.header, *self.variants, self.key)

    @cached_property
    def _lookup(self) -> dict[str, str]:
        """Every spelling of every choice (code, English and Chinese label, synonyms)."""
        found: dict[str, str] = {}
        for value, label in self.choices:
            found[header_key(value)] = value
            found[header_key(str(label))] = value
            with translation.override("zh-hans"):
                found[header_key(str(label))] = value
            with translation.override("en"):
                found[header_key(str(label))] = value
        for spelled, value in self.synonyms.items():
            found[header_key(spelled)] = value
        return found

    def choice_label_zh(self, value: str) -> str:
        for code, label in self.choices:
            if code == value:
                with translation.override("zh-hans"):
                    return str(label)
        return value

    @property
    def reader(self) -> Callable[[Column, Cell], tuple[Any, str, str]]:
        """How a non-blank cell of this kind is read: reader(column, cell)."""
        return _READERS[self.kind]


def _text(column: Column, cell: Cell) -> tuple[Any, str, str]:
    text = str(cell).strip()
    if column.max_length is not None and len(text) > column.max_length:
        return None, ErrorCode.BAD_VALUE, "too_long"
    return text, "", ""


EXCEL_EPOCH = date(1899, 12, 30)
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})?$")


@dataclass(frozen=True, slots=True)
class DateValue:
    """A date read from a cell; `month_only` when the cell gave a year and month (出生年月)."""

    day: date
    month_only: bool = False

    def __reduce__(self) -> tuple[type[DateValue], tuple[date, bool]]:
        # Pickled with every checked row an import keeps (imports.services): the state methods
        # a slotted dataclass gets walk its fields, several times slower.
        return (DateValue, (self.day, self.month_only))


def parse_date(cell: Cell) -> DateValue | None:
    """A date from a cell: an Excel date, 2015-03-09, 2015/3/9, 2015.3.9, 2015年3月9日,
    20150309, an Excel day number (42072), or a year and month (2015-03, 2015年3月, 201503)."""
    if isinstance(cell, date):
        return DateValue(cell)
    text = str(cell).strip()
    try:
        if m := _DATE.match(text):
            return DateValue(date(int(m[1]), int(m[2]), int(m[3])))
        if m := _MONTH.match(text):
            return DateValue(date(int(m[1]), int(m[2]), 1), month_only=True)
        if m := _COMPACT.match(text):
            day = int(m[3]) if m[3] else 1
            return DateValue(date(int(m[1]), int(m[2]), day), month_only=m[3] is None)
        if text.isascii() and text.isdigit() and 1 <= int(text) <= 80000:
            return DateValue(EXCEL_EPOCH + timedelta(days=int(text)))
    except ValueError:
        return None
    return None


def _date(column: Column, cell: Cell) -> tuple[Any, str, str]:
    value = parse_date(cell)
    if value is None or value.day.year < 1900:
        return None, ErrorCode.BAD_DATE, ""
    return value, "", ""


def _choice(column: Column, cell: Cell) -> tuple[Any, str, str]:
    value = column._lookup.get(header_key(str(cell)))
    if value is None:
        return None, ErrorCode.BAD_VALUE, ""
    return value, "", ""


def _multi(column: Column, cell: Cell) -> tuple[Any, str, str]:
    values: list[str] = []
    for part in _LIST_SPLIT.split(str(cell).strip()):
        if not part:
            continue
        value = column._lookup.get(header_key(part))
        if value is None:
            return None, ErrorCode.BAD_VALUE, ""
        if value not in values:
            values.append(value)
    return values, "", ""


_TRUE = {"是", "有", "y", "yes", "true", "1", "√", "寄宿", "住校"}
_FALSE = {"否", "无", "n", "no", "false", "0", "×", "走读", "不寄宿"}


def _bool(column: Column, cell: Cell) -> tuple[Any, str, str]:
    text = header_key(str(cell))
    if text in _TRUE:
        return True, "", ""
    if text in _FALSE:
        return False, "", ""
    return None, ErrorCode.BAD_VALUE, ""


def _phone(column: Column, cell: Cell) -> tuple[Any, str, str]:
    try:
        return check_phone(str(cell)), "", ""
    except InvalidPhone:
        return None, ErrorCode.BAD_VALUE, "phone"


def _int(column: Column, cell: Cell) -> tuple[Any, str, str]:
    text = str(cell).strip()
    if not re.fullmatch(r"[0-9]{1,9}", text):
        return None, ErrorCode.BAD_VALUE, "number"
    return int(text), "", ""


def _float(column: Column, cell: Cell) -> tuple[Any, str, str]:
    try:
        return float(str(cell).strip()), "", ""
    except ValueError:
        return None, ErrorCode.BAD_VALUE, "decimal"


def _raw(column: Column, cell: Cell) -> tuple[Any, str, str]:
    return str(cell).strip(), "", ""


_READERS: dict[str, Callable[[Column, Cell], tuple[Any, str, str]]] = {
    "text": _text,
    "date": _date,
    "choice": _choice,
    "multi": _multi,
    "bool": _bool,
    "phone": _phone,
    "int": _int,
    "float": _float,
    "raw": _raw,
}


def recognise(
    header: list[str], columns: tuple[Column, ...], remembered: Mapping[str, str] | None = None
) -> dict[str, int]:
    """{column key: index in the header} for the headers recognised: the template's and their
    variants, then the county's remembered mapping ({header as compared: column key})."""
    known: dict[str, str] = {}
    for column in columns:
        for text in column.headers:
            known.setdefault(header_key(text), column.key)
    for text, key in (remembered or {}).items():
        known.setdefault(header_key(text), key)
    found: dict[str, int] = {}
    for index, text in enumerate(header):
        wanted = known.get(header_key(text)) if text else None
        if wanted is not None and wanted not in found:
            found[wanted] = index
    return found


def looks_like_header(columns: tuple[Column, ...]) -> Callable[[list[Cell]], bool]:
    """A test for the header row: at least two cells are headers of these columns."""
    known = {header_key(text) for column in columns for text in column.headers}

    def test(cells: list[Cell]) -> bool:
        hits = sum(1 for c in cells if isinstance(c, str) and header_key(c) in known)
        return hits >= 2

    return test


def missing_required(mapping: Mapping[str, int], columns: tuple[Column, ...]) -> list[Column]:
    return [c for c in columns if c.required and c.key not in mapping]
