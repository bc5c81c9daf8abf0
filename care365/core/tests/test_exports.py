"""Streaming a table: CSV with a BOM and formulas as text, xlsx read back by another library,
and under ASGI an asynchronous iterator (Django would read a synchronous one whole)."""

from __future__ import annotations

import asyncio
import io
from typing import Any

from django.core.handlers.asgi import ASGIRequest
from django.test import RequestFactory
from openpyxl import load_workbook

from care365.core.exports import csv_blocks, table_response

HEADER: list[str] = ["姓名", "年龄"]
ROWS: list[list[Any]] = [["张小花", 10], ["=1+1", -3], ["李小龙", None]]


def test_csv_starts_with_a_bom_and_writes_formulas_as_text() -> None:
    text = b"".join(csv_blocks(HEADER, ROWS)).decode("utf-8")
    assert text.startswith("\ufeff姓名,年龄\r\n")
    assert "'=1+1,-3" in text and "李小龙,\r\n" in text


def test_blocks_are_bounded_whatever_the_rows() -> None:
    many = ([f"孩子{i}", i] for i in range(50_000))
    sizes = [len(b) for b in csv_blocks(HEADER, many)]
    assert len(sizes) > 5 and max(sizes) < 3 * 64 * 1024


def test_xlsx_reads_back() -> None:
    response = table_response(
        RequestFactory().get("/"), "xlsx", filename="t", title="儿童", header=HEADER, rows=ROWS
    )
    body = b"".join(response.streaming_content)  # type: ignore[arg-type]
    sheet = load_workbook(io.BytesIO(body), read_only=True)["儿童"]
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [
        HEADER,
        ["张小花", 10],
        ["=1+1", -3],  # text, not a formula
        ["李小龙", None],
    ]


def test_asgi_gets_an_asynchronous_stream() -> None:
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "path": "/x",
        "query_string": b"",
        "headers": [],
    }
    request = ASGIRequest(scope, io.BytesIO())
    response = table_response(request, "csv", filename="t", title="t", header=HEADER, rows=ROWS)
    assert response.is_async

    async def read() -> bytes:
        return b"".join([block async for block in response])

    assert asyncio.run(read()) == b"".join(csv_blocks(HEADER, ROWS))
