"""Writing .xlsx files with openpyxl: an import's template and its error report.

The template has the Chinese headers the national registry's forms use, one example row, and a
drop-down list on every coded column (the choices are on a hidden sheet, since a list typed into
the rule itself may not pass 255 characters). The error report is the imported file's rows with
one more column, the errors of each row in the user's language, so that the clerk can fix the
rows where they are and upload the same file again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from care365.core.imports.columns import Column
from care365.core.imports.tabular import Cell

TEMPLATE_ROWS = 2000  # rows the drop-down lists cover
_BOLD = Font(bold=True)
_ERROR_FILL = PatternFill("solid", fgColor="FDE2E1")


def write_template(columns: tuple[Column, ...], out: Path, *, sheet_title: str) -> None:
    """An empty register with the headers, an example row and drop-down lists."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # noqa: S101  # a new workbook has its sheet
    sheet.title = sheet_title
    lists = book.create_sheet("选项")
    lists.sheet_state = "hidden"
    list_column = 0
    with translation.override("zh-hans"):
        for index, column in enumerate(columns, start=1):
            cell = sheet.cell(row=1, column=index, value=column.header)
            cell.font = _BOLD
            sheet.column_dimensions[get_column_letter(index)].width = max(
                12, 2 * len(column.header) + 2
            )
            if column.example:
                sheet.cell(row=2, column=index, value=column.example)
            if column.kind == "choice" or column.kind == "bool":
                labels = (
                    [str(label) for _value, label in column.choices]
                    if column.kind == "choice"
                    else ["是", "否"]
                )
                list_column += 1
                letter = get_column_letter(list_column)
                for r, label in enumerate(labels, start=1):
                    lists.cell(row=r, column=list_column, value=label)
                rule = DataValidation(
                    type="list",
                    formula1=f"'选项'!${letter}$1:${letter}${len(labels)}",
                    allow_blank=not column.required,
                )
                rule.error = "请从下拉列表中选择"
                rule.showErrorMessage = True
                sheet.add_data_validation(rule)
                target = get_column_letter(index)
                rule.add(f"{target}2:{target}{TEMPLATE_ROWS}")
            elif column.kind == "raw" or column.key == "id_number" or column.kind == "phone":
                # Long digit strings stay text: Excel would turn an ID number into 3.31E+17.
                target = get_column_letter(index)
                for r in range(2, 50):
                    sheet[f"{target}{r}"].number_format = "@"
    sheet.freeze_panes = "A2"
    book.save(out)


def _plain(value: Cell) -> Any:
    return value if isinstance(value, str | date) or value is None else str(value)


def write_error_report(
    header: list[str],
    rows: Iterable[tuple[int, list[Cell]]],
    errors: dict[int, list[str]],
    out: Path,
) -> int:
    """The file's rows with an error column (blank for a good row), errors first in the header's
    language of the user; returns how many rows had errors. Written row by row (write-only), so
    a large file's report needs no more memory than a row."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Rows"))
    title = _("Errors")
    heading = []
    for text in [*header, title]:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = _BOLD
        heading.append(cell)
    sheet.append(heading)
    width = len(header)
    bad = 0
    for number, cells in rows:
        messages = errors.get(number)
        values: list[Any] = [_plain(c) for c in cells[:width]]
        values += [None] * (width - len(values))
        if messages:
            bad += 1
            note = WriteOnlyCell(sheet, value="；".join(messages))
            note.fill = _ERROR_FILL
            sheet.append([*values, note])
        else:
            sheet.append([*values, None])
    book.save(out)
    return bad
