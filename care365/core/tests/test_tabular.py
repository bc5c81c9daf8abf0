"""Reading imported files: a large .xlsx is streamed and reads exactly as calamine reads a small
one (the same cells, the same row numbers), so the reader chosen by size changes nothing."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from care365.core.imports import tabular


def _workbook(path: Path) -> Path:
    book = Workbook()
    hidden = book.active
    assert hidden is not None
    hidden.title = "说明"
    hidden.sheet_state = "hidden"  # the first visible sheet is the register
    hidden.append(["not this sheet"])
    sheet = book.create_sheet("花名册")
    sheet.append(["东弄村农村留守儿童花名册"])
    sheet.append(["姓名", "出生日期", "年级", "是否寄宿", "人数", "身高"])
    sheet.append(["王小明", datetime(2015, 3, 9), "小学三年级", True, 3, 121.5])  # noqa: DTZ001
    sheet.append([])  # an empty row keeps its number
    sheet.append(["李小红", date(2016, 1, 2), None, False, 2.0, "130"])
    sheet.cell(row=7, column=2, value="2014年5月6日")  # a row after a gap
    book.save(path)
    return path


@pytest.fixture
def xlsx(tmp_path: Path) -> Path:
    return _workbook(tmp_path / "register.xlsx")


def test_a_large_workbook_is_streamed_and_reads_as_a_small_one(
    xlsx: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not tabular.streamed(xlsx)
    assert tabular.sheet_cells(xlsx) == 7 * 6  # A1:F7, the register's sheet
    decoded = list(tabular.read_rows(xlsx))
    estimate = tabular.estimate_rows(xlsx, header_row=2)
    monkeypatch.setattr(tabular, "CALAMINE_MAX_CELLS", 0)
    assert tabular.streamed(xlsx)
    streamed = list(tabular.read_rows(xlsx))

    def trimmed(rows: list[list[tabular.Cell]]) -> list[list[tabular.Cell]]:
        # calamine pads every row to the sheet's width; the streamed rows may stop earlier
        return [list(r[: len(r) - next((i for i, c in enumerate(reversed(r)) if c), len(r))])
                for r in rows]  # fmt: skip

    assert trimmed(streamed) == trimmed(decoded)
    assert trimmed(decoded)[:5] == [
        ["东弄村农村留守儿童花名册"],
        ["姓名", "出生日期", "年级", "是否寄宿", "人数", "身高"],
        ["王小明", date(2015, 3, 9), "小学三年级", "TRUE", "3", "121.5"],
        [],
        ["李小红", date(2016, 1, 2), None, "FALSE", "2", "130"],
    ]
    assert trimmed(decoded)[6] == [None, "2014年5月6日"]  # row 7
    assert tabular.estimate_rows(xlsx, header_row=2) == estimate == 5


def test_a_streamed_table_finds_its_header_under_a_title(
    xlsx: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tabular, "CALAMINE_MAX_CELLS", 0)
    table = tabular.open_table(xlsx, is_header=lambda cells: "姓名" in cells)
    try:
        assert table.header_row == 2
        assert table.header[:2] == ["姓名", "出生日期"]
        numbers = [number for number, _cells in table.rows]
    finally:
        table.close()
    assert numbers == [3, 4, 5, 6, 7]


def test_a_broken_workbook_is_unreadable_whichever_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    with pytest.raises(tabular.UnreadableFile):
        list(tabular.read_rows(broken))
    monkeypatch.setattr(tabular, "CALAMINE_MAX_CELLS", 0)
    with pytest.raises(tabular.UnreadableFile):
        list(tabular.read_rows(broken))
