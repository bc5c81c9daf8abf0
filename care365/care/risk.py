"""The risk score: an explainable sum of weighted reasons, one child at a time. Pure Python: no
Django. The daily job (care/jobs.py) gathers each child's facts from the tables; this module only
adds them up, so every point on the risk list can be traced to a reason. docs/care.md lists the
weights and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from care365.care.plans import mood_falling


class Reason(StrEnum):
    OVERDUE_CONTACT = "overdue_contact"  # per planned contact kind that is overdue
    EXAM_OVERDUE = "exam_overdue"
    NO_PARENT_CONTACT = "no_parent_contact"  # parents away, no contact for 14 days or more
    FALLING_MOOD = "falling_mood"
    LOW_MOOD = "low_mood"  # the last two moods both sad (1 or 2)
    SCREENING_POSITIVE = "screening_positive"  # above the cut-off in the last 90 days
    SELF_HARM = "self_harm"  # a self-harm flag in the last 90 days
    GROWTH_SEVERE = "growth_severe"  # severe stunting, thinness or underweight
    GROWTH_CLASS = "growth_class"  # any other class: stunting, thinness, overweight, ...
    GROWTH_FLAG = "growth_flag"  # an implausible measurement: measure again
    ALERT_OPEN = "alert_open"
    ALERT_RECENT = "alert_recent"  # raised in the last 30 days (not a false alarm)
    ALONE_UNDER_16 = "alone_under_16"  # no entrusted carer and no parent at home
    OUT_OF_SCHOOL = "out_of_school"
    SCHOOL_ABSENCES = "school_absences"  # unexplained absences past the county's threshold


WEIGHTS: Mapping[Reason, int] = {
    Reason.OVERDUE_CONTACT: 10,
    Reason.EXAM_OVERDUE: 5,
    Reason.NO_PARENT_CONTACT: 20,
    Reason.FALLING_MOOD: 15,
    Reason.LOW_MOOD: 10,
    Reason.SCREENING_POSITIVE: 25,
    Reason.SELF_HARM: 40,
    Reason.GROWTH_SEVERE: 15,
    Reason.GROWTH_CLASS: 10,
    Reason.GROWTH_FLAG: 5,
    Reason.ALERT_OPEN: 30,
    Reason.ALERT_RECENT: 15,
    Reason.ALONE_UNDER_16: 40,
    Reason.OUT_OF_SCHOOL: 20,
    Reason.SCHOOL_ABSENCES: 15,
}

NO_PARENT_CONTACT_DAYS = 14
LOW_MOOD_AT_MOST = 2
# Compulsory schooling: a child of these ages (whole years) who is not in school has left it.
SCHOOL_AGES = range(7, 16)
ALONE_UNDER = 16
GRADE_NOT_IN_SCHOOL = "none"
GRADE_DROPPED_OUT = "out"
ADULT = 18


@dataclass(frozen=True)
class Facts:
    """What the job knows about one child today."""

    age: int
    overdue_kinds: tuple[str, ...] = ()
    exam_overdue_days: int | None = None  # None when not overdue
    parents_away: bool = False
    days_without_parent_contact: int | None = None  # since the last contact or registration
    moods: tuple[int, ...] = ()  # oldest first
    screening_positive: bool = False
    self_harm: bool = False
    growth_classes: tuple[str, ...] = ()
    growth_flags: tuple[str, ...] = ()
    open_alerts: int = 0
    recent_alerts: int = 0
    lives_alone: bool = False  # no entrusted carer and no parent at home
    grade: str = ""
    school_absences: int | None = None  # the open attendance concern's count, if any


@dataclass(frozen=True)
class Item:
    reason: Reason
    points: int
    params: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"reason": self.reason.value, "points": self.points, "params": dict(self.params)}


@dataclass(frozen=True)
class Result:
    score: int
    items: tuple[Item, ...]


def assess(facts: Facts) -> Result:
    """Score one child: each reason that holds adds its weight (overdue contacts once per kind);
    the reasons come out highest first."""
    items: list[Item] = []

    def add(reason: Reason, times: int = 1, **params: Any) -> None:
        items.append(Item(reason, WEIGHTS[reason] * times, params))

    if facts.overdue_kinds:
        add(
            Reason.OVERDUE_CONTACT,
            len(facts.overdue_kinds),
            kinds=sorted(facts.overdue_kinds),
        )
    if facts.exam_overdue_days is not None:
        add(Reason.EXAM_OVERDUE, days=facts.exam_overdue_days)
    if (
        facts.parents_away
        and facts.days_without_parent_contact is not None
        and facts.days_without_parent_contact >= NO_PARENT_CONTACT_DAYS
    ):
        add(Reason.NO_PARENT_CONTACT, days=facts.days_without_parent_contact)
    if mood_falling(facts.moods):
        add(Reason.FALLING_MOOD, moods=list(facts.moods[-3:]))
    elif len(facts.moods) >= 2 and max(facts.moods[-2:]) <= LOW_MOOD_AT_MOST:
        add(Reason.LOW_MOOD, moods=list(facts.moods[-2:]))
    if facts.self_harm:
        add(Reason.SELF_HARM)
    elif facts.screening_positive:
        add(Reason.SCREENING_POSITIVE)
    severe = sorted(c for c in facts.growth_classes if c.startswith("severe_"))
    other = sorted(c for c in facts.growth_classes if not c.startswith("severe_"))
    if severe:
        add(Reason.GROWTH_SEVERE, classes=severe)
    elif other:
        add(Reason.GROWTH_CLASS, classes=other)
    if facts.growth_flags:
        add(Reason.GROWTH_FLAG, flags=sorted(facts.growth_flags))
    if facts.open_alerts:
        add(Reason.ALERT_OPEN, alerts=facts.open_alerts)
    elif facts.recent_alerts:
        add(Reason.ALERT_RECENT, alerts=facts.recent_alerts)
    if facts.lives_alone and facts.age < ALONE_UNDER:
        add(Reason.ALONE_UNDER_16)
    if (facts.grade == GRADE_NOT_IN_SCHOOL and facts.age in SCHOOL_AGES) or (
        facts.grade == GRADE_DROPPED_OUT and facts.age < ADULT
    ):
        add(Reason.OUT_OF_SCHOOL, grade=facts.grade)
    if facts.school_absences is not None:
        add(Reason.SCHOOL_ABSENCES, absences=facts.school_absences)
    items.sort(key=lambda item: (-item.points, item.reason.value))
    return Result(score=sum(item.points for item in items), items=tuple(items))
