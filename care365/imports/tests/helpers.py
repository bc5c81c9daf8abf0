"""Files to import, written as county offices write them."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management import call_command
from openpyxl import Workbook

from care365.registry import idnumber

CHILD_HEADER = [
    "姓名", "性别", "出生日期", "民族", "公民身份号码", "所在村（社区）", "家庭住址", "儿童类别",
    "父亲姓名", "父亲状况", "父亲务工地点", "父亲联系电话", "委托监护人姓名", "与儿童关系",
    "委托监护人联系电话",
]  # fmt: skip


def child_id(born: date, seq: int, region: str = "331127") -> str:
    return idnumber.make(region, born, seq)


def child_row(
    name: str, sex: str, born: date, seq: int, village: str = "东弄村", **extra: Any
) -> list[Any]:
    """A row of CHILD_HEADER for a girl (even seq) or a boy (odd seq)."""
    row: dict[str, Any] = {
        "姓名": name,
        "性别": sex,
        "出生日期": born.isoformat(),
        "民族": "汉族",
        "公民身份号码": child_id(born, seq),
        "所在村（社区）": village,
        "家庭住址": f"{village}1号",
        "儿童类别": "留守儿童",
        "父亲姓名": "张建国",
        "父亲状况": "外出务工",
        "父亲务工地点": "杭州",
        "父亲联系电话": "13912345678",
        "委托监护人姓名": "王桂兰",
        "与儿童关系": "奶奶",
        "委托监护人联系电话": "0578-5081234",
    }
    row.update(extra)
    return [row[h] for h in CHILD_HEADER]


def write_csv(
    path: Path, header: list[str], rows: list[list[Any]], encoding: str = "utf-8-sig"
) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(
    path: Path, header: list[str], rows: list[list[Any]], title: str | None = None
) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def run_import(*args: str) -> tuple[int, dict[str, Any]]:
    """`care365 import ... --json`: (exit code, the JSON printed)."""
    out = io.StringIO()
    code = 0
    try:
        call_command("import", *args, "--json", stdout=out, stderr=io.StringIO())
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, json.loads(out.getvalue())
