"""Report periods: "2025-06" (a month), "2025-Q2" (a quarter), "2025" (a year). Pure code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHLY, QUARTERLY, YEARLY = "monthly", "quarterly", "yearly"
_PATTERNS = {
    MONTHLY: re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"),
    QUARTERLY: re.compile(r"^(\d{4})-Q([1-4])$"),
    YEARLY: re.compile(r"^(\d{4})$"),
}


class PeriodError(ValueError):
    """A period that does not name a month, a quarter or a year in the expected form."""


@dataclass(frozen=True)
class Period:
    kind: str
    label: str
    start: date
    end: date  # the last day, inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def year_before(self) -> Period:
        """The same period a year earlier (the yearly report's comparison)."""
        year = int(self.label[:4]) - 1
        return period_parse(self.kind, f"{year}{self.label[4:]}")


def _month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def period_parse(kind: str, text: str) -> Period:
    """The period `text` of this kind; PeriodError if it is not one (or before 2000)."""
    pattern = _PATTERNS.get(kind)
    match = pattern.match(text.strip()) if pattern else None
    if match is None:
        raise PeriodError(text)
    year = int(match.group(1))
    if year < 2000 or year > 2999:
        raise PeriodError(text)
    if kind == MONTHLY:
        month = int(match.group(2))
        return Period(kind, f"{year}-{month:02d}", date(year, month, 1), _month_end(year, month))
    if kind == QUARTERLY:
        quarter = int(match.group(2))
        first = 3 * quarter - 2
        return Period(kind, f"{year}-Q{quarter}", date(year, first, 1), _month_end(year, first + 2))
    return Period(kind, f"{year}", date(year, 1, 1), date(year, 12, 31))


def period_latest(kind: str, today: date) -> str:
    """The last whole period before `today` (what a report is usually asked for)."""
    if kind == MONTHLY:
        last = today.replace(day=1) - timedelta(days=1)
        return f"{last.year}-{last.month:02d}"
    if kind == QUARTERLY:
        quarter = (today.month - 1) // 3  # the current quarter's index, 0-3
        year = today.year if quarter else today.year - 1
        return f"{year}-Q{quarter or 4}"
    return f"{today.year - 1}"
