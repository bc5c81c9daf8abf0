"""Visit plans as arithmetic on dates: when the next contact or examination is due, how much of
the last 365 days a plan covered, and whether a child's mood is falling. Pure Python: no Django.

docs/care.md defines each figure; the functions here are those definitions, written once.
"""

from __future__ import annotations

import calendar
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

# The county's default expected interval (days) per planned contact kind (DOMAIN.md: local
# practice ranges from weekly calls to quarterly meetings, so every one is a county setting).
DEFAULT_INTERVALS: Mapping[str, int] = {
    "volunteer_visit": 7,  # volunteers: weekly
    "home_visit": 30,  # the village director: a monthly home visit
    "safety_check": 91,  # the police officer: a quarterly safety check
    "parent_contact": 7,  # parents away for work: weekly (Minors Protection Law art. 23)
}

# Health examinations (DOMAIN.md): under-6s at 3, 6, 8, 12, 18, 24, 30, 36 months and then at
# 4, 5 and 6 years; school-age children once a year.
EXAM_MILESTONE_MONTHS: tuple[int, ...] = (3, 6, 8, 12, 18, 24, 30, 36, 48, 60, 72)
# An examination up to this many days before a milestone counts for it.
EXAM_EARLY_DAYS = 30

WINDOW_DAYS = 365


def add_months(day: date, months: int) -> date:
    """`day` plus whole months; the 31st becomes the month's last day where there is none."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def tightened(interval: int, percent: int) -> int:
    """The interval for a child on the risk list: `percent` of the usual one, rounded up, at
    least a day."""
    return max(1, -(-interval * percent // 100))


def contact_next_due(*, last: date | None, start: date, interval: int) -> date:
    """When the next contact is due: one interval after the last one, or, when there has been
    none yet, one interval after the plan started (the child's registration or pairing)."""
    return (last or start) + timedelta(days=interval)


def exam_next_due(*, birth: date, last: date | None, start: date) -> date:
    """When the next health examination is due.

    Never examined: at the first milestone, or at `start` (registration or pairing with the
    doctor) if a milestone has already passed by then. Otherwise: the first milestone more than
    EXAM_EARLY_DAYS after the last examination, and once the milestones are behind, a year after
    the last examination."""
    if last is None:
        return max(start, add_months(birth, EXAM_MILESTONE_MONTHS[0]))
    early = last + timedelta(days=EXAM_EARLY_DAYS)
    # The milestones only grow, so once the last is behind every one is (most children are of
    # school age: one date worked out rather than eleven).
    if add_months(birth, EXAM_MILESTONE_MONTHS[-1]) > early:
        for months in EXAM_MILESTONE_MONTHS:
            milestone = add_months(birth, months)
            if milestone > early:
                return milestone
    return add_months(last, 12)


def mood_falling(moods: Sequence[int]) -> bool:
    """Whether the last three moods (oldest first, 1 sad to 5 happy) trend down: none higher than
    the one before, and the last lower than the first."""
    if len(moods) < 3:
        return False
    a, b, c = moods[-3:]
    return a >= b >= c and a > c


# --- the 365 figure --------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """One plan kind over a window. `days` is the number of days the plan applied, `covered`
    those within the interval of a contact, `longest_gap` the most days between two contacts."""

    days: int
    covered: int
    longest_gap: int
    spans: tuple[tuple[int, int], ...] = field(default=(), repr=False)  # covered day ordinals

    @property
    def share(self) -> float | None:
        return None if self.days == 0 else self.covered / self.days


def coverage(
    contacts: Iterable[date], *, interval: int, start: date, first: date, last: date
) -> Coverage:
    """How well one kind of contact kept to its plan from `first` to `last` (inclusive).

    - The plan starts on `start` (the child's registration), which counts as a contact: a new
      child has one interval before the first contact is missed. Days before it do not count.
    - A day t is covered when the gap since the last contact on or before t is not longer than
      the interval (t - c <= interval): exactly the days on which the due list does not show the
      contact as overdue. A gap of g days between two contacts leaves max(0, g - interval - 1)
      days uncovered, so gaps no longer than the interval leave none.
    - The longest gap is the most days from one contact to the next, today closing the last one;
      a gap that began before the window counts from the day before the window.
    Contacts before `start` or after `last` are ignored."""
    if interval < 1:
        raise ValueError("the interval is at least one day")
    lo_day = max(first, start).toordinal()
    hi_day = last.toordinal()
    if lo_day > hi_day:
        return Coverage(days=0, covered=0, longest_gap=0)
    s = start.toordinal()
    points = sorted({s} | {d.toordinal() for d in contacts if s <= d.toordinal() <= hi_day})
    covered = 0
    reach = lo_day - 1  # the last day counted as covered so far
    spans: list[tuple[int, int]] = []
    for p in points:
        lo = max(p, reach + 1, lo_day)
        hi = min(p + interval, hi_day)
        if hi >= lo:
            covered += hi - lo + 1
            if spans and spans[-1][1] == lo - 1:
                spans[-1] = (spans[-1][0], hi)
            else:
                spans.append((lo, hi))
            reach = hi
    longest = 0
    previous: int | None = None
    for p in [*points, hi_day]:
        if previous is not None and p >= lo_day:
            longest = max(longest, p - max(previous, lo_day - 1))
        previous = p
    return Coverage(
        days=hi_day - lo_day + 1, covered=covered, longest_gap=longest, spans=tuple(spans)
    )


def _intersect(a: Sequence[tuple[int, int]], b: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


@dataclass(frozen=True)
class PlanCoverage:
    """A child's whole plan over the window: per kind, and the days every kind was covered."""

    kinds: Mapping[str, Coverage]
    days: int
    covered: int  # days on which every planned kind was covered
    longest_uncovered: int  # the longest run of days on which some planned kind was not

    @property
    def share(self) -> float | None:
        return None if self.days == 0 else self.covered / self.days


def plan_coverage(
    contacts: Mapping[str, Iterable[date]],
    *,
    intervals: Mapping[str, int],
    start: date,
    first: date,
    last: date,
) -> PlanCoverage:
    """`coverage` for each planned kind (the keys of `intervals`), and the days all were met."""
    kinds = {
        kind: coverage(contacts.get(kind, ()), interval=n, start=start, first=first, last=last)
        for kind, n in intervals.items()
    }
    lo_day = max(first, start).toordinal()
    hi_day = last.toordinal()
    if lo_day > hi_day or not kinds:
        return PlanCoverage(kinds=kinds, days=0, covered=0, longest_uncovered=0)
    spans: list[tuple[int, int]] = [(lo_day, hi_day)]
    for result in kinds.values():
        spans = _intersect(spans, result.spans)
    covered = sum(hi - lo + 1 for lo, hi in spans)
    longest = 0
    cursor = lo_day
    for lo, hi in spans:
        longest = max(longest, lo - cursor)
        cursor = hi + 1
    longest = max(longest, hi_day + 1 - cursor)
    return PlanCoverage(
        kinds=kinds, days=hi_day - lo_day + 1, covered=covered, longest_uncovered=longest
    )


def due_coverage(
    points: Iterable[date],
    *,
    due_after: Callable[[date | None], date],
    start: date,
    first: date,
    last: date,
) -> Coverage:
    """How well one planned kind kept to its plan from `first` to `last` (inclusive), by the
    due list's own rule, so that a day is covered exactly when the due list would not have shown
    the kind overdue that day.

    - `points` are the days of the contacts (or examinations) of the kind, any of them, also
      before the window; on day t the last of them on or before t is L(t).
    - `due_after(L)` is the due date after a last contact L (None when there was none yet):
      `contact_next_due` or `exam_next_due` with the child's plan start bound in.
    - Day t is covered when t <= due_after(L(t)) (the due list: days_overdue = t - due <= 0).
    - Days are counted from max(first, start) (`start` is the child's registration).
    - The longest gap is the most days from one point (or the plan's start) to the next,
      today closing the last one, counted from the day before the window at most.
    """
    lo_day = max(first, start).toordinal()
    hi_day = last.toordinal()
    if lo_day > hi_day:
        return Coverage(days=0, covered=0, longest_gap=0)
    days = sorted({d.toordinal() for d in points if d.toordinal() <= hi_day})
    before = [d for d in days if d < lo_day]
    inside = [d for d in days if d >= lo_day]
    # Segments of days with the same last point: (first day, last day, last point or None).
    segments: list[tuple[int, int, int | None]] = []
    cursor = lo_day
    previous: int | None = before[-1] if before else None
    for p in inside:
        if p > cursor:
            segments.append((cursor, p - 1, previous))
        cursor, previous = p, p
    segments.append((cursor, hi_day, previous))
    covered = 0
    spans: list[tuple[int, int]] = []
    for lo, hi, point in segments:
        if lo > hi:
            continue
        due = due_after(date.fromordinal(point) if point is not None else None).toordinal()
        top = min(hi, due)
        if top >= lo:
            covered += top - lo + 1
            if spans and spans[-1][1] == lo - 1:
                spans[-1] = (spans[-1][0], top)
            else:
                spans.append((lo, top))
    anchors = [before[-1] if before else start.toordinal(), *inside, hi_day]
    longest = 0
    for a, b in itertools.pairwise(anchors):
        longest = max(longest, b - max(a, lo_day - 1))
    return Coverage(
        days=hi_day - lo_day + 1, covered=covered, longest_gap=longest, spans=tuple(spans)
    )


def combine(kinds: Mapping[str, Coverage], *, start: date, first: date, last: date) -> PlanCoverage:
    """A child's whole plan from each kind's coverage: the days every kind was covered."""
    lo_day = max(first, start).toordinal()
    hi_day = last.toordinal()
    if lo_day > hi_day or not kinds:
        return PlanCoverage(kinds=kinds, days=0, covered=0, longest_uncovered=0)
    spans: list[tuple[int, int]] = [(lo_day, hi_day)]
    for result in kinds.values():
        spans = _intersect(spans, result.spans)
    covered = sum(hi - lo + 1 for lo, hi in spans)
    longest = 0
    cursor = lo_day
    for lo, hi in spans:
        longest = max(longest, lo - cursor)
        cursor = hi + 1
    longest = max(longest, hi_day + 1 - cursor)
    return PlanCoverage(
        kinds=kinds, days=hi_day - lo_day + 1, covered=covered, longest_uncovered=longest
    )


def window(today: date) -> tuple[date, date]:
    """The 365 days up to and including `today`."""
    return today - timedelta(days=WINDOW_DAYS - 1), today
