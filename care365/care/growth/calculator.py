"""Height-, weight- and BMI-for-age z-scores by WHO's method, with WHO's plausibility flags and
the usual nutrition classes. Pure Python: no Django.

Which WHO table applies depends on age only:
- under 60 months: the Child Growth Standards (2006), looked up by age in whole days
  (age in months x 30.4375, rounded), as WHO's `anthro` does;
- 60 to 228 months: the Growth Reference (2007), by age in months, L, M and S interpolated
  between whole months, as WHO's `anthroplus` does; weight-for-age only up to 120 months;
- beyond 228 months: no z-score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from care365.care.growth.lms import LMS, AgeTable, Sex, Table, round_half_away, table

DAYS_PER_MONTH = 30.4375
STANDARDS_BELOW_MONTHS = 60.0  # under this age the 2006 standards apply, from it the 2007 reference
REFERENCE_LAST_MONTH = 228  # inclusive, as in anthroplus
WEIGHT_REFERENCE_LAST_MONTH = 120  # the 2007 weight-for-age reference stops at 10 years
LENGTH_UNTIL_DAYS = 731  # the standards use recumbent length before 731 days, height from then on
LENGTH_HEIGHT_DIFFERENCE_CM = 0.7  # WHO: recumbent length is 0.7 cm more than standing height
STANDING_PLAUSIBLE_FROM_MONTHS = 9  # a standing height before 9 months is not believed


class Reference(StrEnum):
    STANDARDS_2006 = "who2006"
    REFERENCE_2007 = "who2007"


class Position(StrEnum):
    """How the child was measured."""

    LENGTH = "length"  # lying down (recumbent length)
    HEIGHT = "height"  # standing


class Flag(StrEnum):
    """WHO's cut-offs for implausible z-scores (applied to the rounded z), and a standing height
    given for a baby under 9 months (then taken as measured the way the age calls for)."""

    IMPLAUSIBLE_ZHFA = "implausible_zhfa"  # |z| > 6
    IMPLAUSIBLE_ZWFA = "implausible_zwfa"  # z < -6 or z > 5
    IMPLAUSIBLE_ZBFA = "implausible_zbfa"  # |z| > 5
    POSITION_IMPLAUSIBLE = "position_implausible"


class Classification(StrEnum):
    """One class per indicator at most; a severe class implies the milder one."""

    STUNTING = "stunting"  # zhfa < -2
    SEVERE_STUNTING = "severe_stunting"  # zhfa < -3
    UNDERWEIGHT = "underweight"  # zwfa < -2
    SEVERE_UNDERWEIGHT = "severe_underweight"  # zwfa < -3
    THINNESS = "thinness"  # zbfa < -2
    SEVERE_THINNESS = "severe_thinness"  # zbfa < -3
    OVERWEIGHT = "overweight"  # zbfa > +1 (5-19 y), > +2 (0-5 y)
    OBESITY = "obesity"  # zbfa > +2 (5-19 y), > +3 (0-5 y)


class GrowthInputError(ValueError):
    """A measurement that cannot be assessed; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class Assessment:
    zhfa: float | None  # height-for-age (length-for-age under 2 years), rounded to 2 decimals
    zwfa: float | None  # weight-for-age, rounded
    zbfa: float | None  # BMI-for-age, rounded
    bmi: float | None  # kg/m2 from the (position-adjusted) height, not rounded
    height_cm: float | None  # the height the z-scores used, after the length/height adjustment
    reference: Reference | None  # the WHO table set that applied; None beyond 19 years
    flags: tuple[Flag, ...]
    classes: tuple[Classification, ...]

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of `care365 growth`: BMI rounded to 2 decimals for display."""
        return {
            "zhfa": self.zhfa,
            "zwfa": self.zwfa,
            "zbfa": self.zbfa,
            "bmi": None if self.bmi is None else round(self.bmi, 2),
            "flags": [flag.value for flag in self.flags],
            "classes": [cls.value for cls in self.classes],
        }


def _number(name: str, value: float | None, *, positive: bool) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise GrowthInputError(f"{name} must be a number")
    value = float(value)
    if not math.isfinite(value):
        raise GrowthInputError(f"{name} must be a finite number")
    if positive and value <= 0:
        raise GrowthInputError(f"{name} must be greater than 0")
    if value < 0:
        raise GrowthInputError(f"{name} must not be negative")
    return value


def _sex(value: Sex | str) -> Sex:
    try:
        return Sex(value.upper() if isinstance(value, str) else value)
    except ValueError:
        raise GrowthInputError(f"sex must be M or F, not {value!r}") from None


def assess(
    *,
    sex: Sex | str,
    age_months: float | None = None,
    age_days: float | None = None,
    height_cm: float | None = None,
    weight_kg: float | None = None,
    position: Position | str | None = None,
    oedema: bool = False,
) -> Assessment:
    """Assess one measurement. Give the age in months or in days (not both). Height and weight
    may be missing; the z-scores that need them are then None. `position` says whether a child
    under 5 was measured lying or standing (None: as the age calls for). With oedema, weight
    says nothing about nutrition, so WHO leaves weight-for-age and BMI-for-age empty."""
    sex = _sex(sex)
    months = _number("age_months", age_months, positive=False)
    days = _number("age_days", age_days, positive=False)
    if months is not None and days is not None:
        raise GrowthInputError("age_months and age_days are both given: give one of them")
    height = _number("height_cm", height_cm, positive=True)
    weight = _number("weight_kg", weight_kg, positive=True)
    try:
        position = None if position is None else Position(position)
    except ValueError:
        raise GrowthInputError(f"position must be length or height, not {position!r}") from None
    if months is not None:
        days = months * DAYS_PER_MONTH
    elif days is not None:
        months = days / DAYS_PER_MONTH
    else:
        raise GrowthInputError("the age is missing: give age_months or age_days")
    if months < STANDARDS_BELOW_MONTHS:
        return _standards(sex, days, months, height, weight, position, oedema)
    return _reference(sex, months, height, weight, oedema)


def _bmi(height: float | None, weight: float | None) -> float | None:
    if height is None or weight is None:
        return None
    metres = height / 100
    return weight / (metres * metres)


def _standards(
    sex: Sex,
    days: float,
    months: float,
    height: float | None,
    weight: float | None,
    position: Position | None,
    oedema: bool,
) -> Assessment:
    flags: list[Flag] = []
    # WHO's anthro works in whole days, halves rounded up, for both the table row and the
    # length/height rule; the 9-month rule uses the age as given.
    day = math.floor(days)
    if days - day >= 0.5:
        day += 1
    if position is Position.HEIGHT and months < STANDING_PLAUSIBLE_FROM_MONTHS:
        flags.append(Flag.POSITION_IMPLAUSIBLE)
        position = None
    if height is not None:
        if position is Position.HEIGHT and day < LENGTH_UNTIL_DAYS:
            height += LENGTH_HEIGHT_DIFFERENCE_CM
        elif position is Position.LENGTH and day >= LENGTH_UNTIL_DAYS:
            height -= LENGTH_HEIGHT_DIFFERENCE_CM
    bmi = _bmi(height, weight)
    if oedema:
        weight = None

    def z(name: Table, value: float | None, *, restricted: bool) -> float | None:
        if value is None:
            return None
        lms = table(name)[sex].at(day)
        return round_half_away(lms.z_restricted(value) if restricted else lms.z(value))

    return _finish(
        Reference.STANDARDS_2006,
        zhfa=z(Table.LENGTH_HEIGHT_0_5, height, restricted=False),
        zwfa=z(Table.WEIGHT_0_5, weight, restricted=True),
        zbfa=z(Table.BMI_0_5, None if bmi is None or oedema else bmi, restricted=True),
        bmi=bmi,
        height=height,
        flags=flags,
    )


def _reference(
    sex: Sex, months: float, height: float | None, weight: float | None, oedema: bool
) -> Assessment:
    bmi = _bmi(height, weight)
    if months > REFERENCE_LAST_MONTH:
        return Assessment(None, None, None, bmi, height, None, (), ())
    if oedema:
        weight = None

    def lms(name: Table) -> LMS:
        rows: AgeTable = table(name)[sex]
        return rows.interpolated(months)

    zhfa = None if height is None else round_half_away(lms(Table.HEIGHT_5_19).z(height))
    zwfa = None
    if weight is not None and months <= WEIGHT_REFERENCE_LAST_MONTH:
        zwfa = round_half_away(lms(Table.WEIGHT_5_10).z_restricted(weight))
    zbfa = None
    if bmi is not None and not oedema:
        zbfa = round_half_away(lms(Table.BMI_5_19).z_restricted(bmi))
    return _finish(
        Reference.REFERENCE_2007, zhfa=zhfa, zwfa=zwfa, zbfa=zbfa, bmi=bmi, height=height, flags=[]
    )


def _finish(
    reference: Reference,
    *,
    zhfa: float | None,
    zwfa: float | None,
    zbfa: float | None,
    bmi: float | None,
    height: float | None,
    flags: list[Flag],
) -> Assessment:
    """Flag implausible z-scores and classify the plausible ones."""
    classes: list[Classification] = []
    if zhfa is not None:
        if abs(zhfa) > 6:
            flags.append(Flag.IMPLAUSIBLE_ZHFA)
        elif zhfa < -3:
            classes.append(Classification.SEVERE_STUNTING)
        elif zhfa < -2:
            classes.append(Classification.STUNTING)
    if zwfa is not None:
        if zwfa < -6 or zwfa > 5:
            flags.append(Flag.IMPLAUSIBLE_ZWFA)
        elif zwfa < -3:
            classes.append(Classification.SEVERE_UNDERWEIGHT)
        elif zwfa < -2:
            classes.append(Classification.UNDERWEIGHT)
    if zbfa is not None:
        overweight, obesity = (2, 3) if reference is Reference.STANDARDS_2006 else (1, 2)
        if abs(zbfa) > 5:
            flags.append(Flag.IMPLAUSIBLE_ZBFA)
        elif zbfa < -3:
            classes.append(Classification.SEVERE_THINNESS)
        elif zbfa < -2:
            classes.append(Classification.THINNESS)
        elif zbfa > obesity:
            classes.append(Classification.OBESITY)
        elif zbfa > overweight:
            classes.append(Classification.OVERWEIGHT)
    return Assessment(zhfa, zwfa, zbfa, bmi, height, reference, tuple(flags), tuple(classes))
