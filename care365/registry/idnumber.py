"""Resident identity card numbers (GB 11643-1999). Pure Python: no Django.

An 18-character number: a 6-digit address code, the birth date as YYYYMMDD, a 3-digit sequence
whose parity gives the sex (odd: male, even: female), and an ISO 7064 MOD 11-2 check character
(0-9 or X).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK = "10X98765432"
# ASCII digits only: \d and str.isdigit() would also accept other scripts' digits.
_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
_REGION = re.compile(r"^[0-9]{6}$")


class IdNumberError(StrEnum):
    """Why a number is not valid; the value is a stable code the UI translates."""

    SHAPE = "shape"
    DATE = "date"
    CHECK = "check"
    REGION = "region"


class InvalidIdNumber(ValueError):  # noqa: N818  # reads as a domain term: "invalid ID number"
    def __init__(self, reason: IdNumberError) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class IdNumber:
    number: str
    region: str
    birth_date: date
    sex: str  # "M" or "F"


def normalise(raw: str) -> str:
    """Strip spaces and upper-case the check character."""
    return re.sub(r"\s+", "", raw).upper()


def check_character(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def parse(raw: str, *, known_region: Callable[[str], bool] | None = None) -> IdNumber:
    """Validate and decode a number; raise InvalidIdNumber with the reason if it is not valid.

    `known_region` says whether a 6-digit address code is a real division code (GB/T 2260,
    historic codes included: `areas.regions.is_known`); without it the code is only checked for
    shape, and 000000 passes."""
    number = normalise(raw)
    if not _SHAPE.fullmatch(number):
        raise InvalidIdNumber(IdNumberError.SHAPE)
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise InvalidIdNumber(IdNumberError.DATE) from exc
    if born.year < 1900:
        raise InvalidIdNumber(IdNumberError.DATE)
    if check_character(number[:17]) != number[17]:
        raise InvalidIdNumber(IdNumberError.CHECK)
    if known_region is not None and not known_region(number[:6]):
        raise InvalidIdNumber(IdNumberError.REGION)
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return IdNumber(number=number, region=number[:6], birth_date=born, sex=sex)


def make(region: str, birth_date: date, sequence: int) -> str:
    """Build a valid number; `sequence` (0-999) decides the sex by its parity."""
    if not _REGION.fullmatch(region) or not 0 <= sequence <= 999:
        raise ValueError("region must be 6 digits and sequence 0-999")
    first17 = f"{region}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


def mask(number: str) -> str:
    """Show the address code only: 33112720150101123X -> 331127************.

    A mask must leave at least 100 numbers possible to a viewer who also sees the birth date,
    the sex and the village (DESIGN.md, "No oracles"). Given those, the hidden part of a number
    is its 3-digit sequence (000-999, whose parity the sex fixes: 500 choices) and the check
    character (which the other 17 characters fix). So this mask leaves exactly 500 numbers, one
    per sequence of the right parity. Showing anything more would not do: with the sequence's
    last digit shown 50 would remain, and with the check character shown about 45 (500 / 11).
    """
    if len(number) != 18:
        return "*" * len(number)
    return f"{number[:6]}{'*' * 12}"
