"""WHO LMS tables and the z-score arithmetic of WHO's own software. Pure Python: no Django.

The tables in `data/` are WHO's files, unchanged: the Child Growth Standards (0-5 years, one row
per day of age) and the Growth Reference (5-19 years, one row per month). Each row holds the
Box-Cox power L, the median M and the coefficient of variation S for one sex and age.

The arithmetic follows WHO's `anthro` (0-5 y) and `anthroplus` (5-19 y) packages step for step,
in the same floating-point order, so that rounded z-scores agree with WHO's to the last digit.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


class Sex(StrEnum):
    MALE = "M"
    FEMALE = "F"


class Table(StrEnum):
    """One WHO table; the value is its file name in `data/` (without `.txt`)."""

    LENGTH_HEIGHT_0_5 = "who2006_lenanthro"
    WEIGHT_0_5 = "who2006_weianthro"
    BMI_0_5 = "who2006_bmianthro"
    HEIGHT_5_19 = "hfawho2007"
    WEIGHT_5_10 = "wfawho2007"
    BMI_5_19 = "bfawho2007"


_WHO_SEX = {"1": Sex.MALE, "2": Sex.FEMALE}


@dataclass(frozen=True, slots=True)
class LMS:
    l: float  # noqa: E741  # WHO's own name for the Box-Cox power
    m: float
    s: float

    def z(self, y: float) -> float:
        """z = ((y/M)^L - 1) / (S*L): WHO's tables have no row with L = 0."""
        return (math.pow(y / self.m, self.l) - 1) / (self.s * self.l)

    def sd(self, k: float) -> float:
        """The measurement at k standard deviations: M * (1 + L*S*k)^(1/L)."""
        return self.m * math.pow(1 + self.l * self.s * k, 1 / self.l)

    def z_restricted(self, y: float) -> float:
        """WHO's restricted application for weight and BMI: beyond +/-3 SD the distance is
        counted in units of the spacing between 2 and 3 SD on that side, so the long right
        tail of weight does not shrink extreme values."""
        z = self.z(y)
        if z > 3:
            sd3pos = self.sd(3)
            sd23pos = sd3pos - self.sd(2)
            return 3 + (y - sd3pos) / sd23pos
        if z < -3:
            sd3neg = self.sd(-3)
            sd23neg = self.sd(-2) - sd3neg
            return -3 + (y - sd3neg) / sd23neg
        return z


@dataclass(frozen=True, slots=True)
class AgeTable:
    """One indicator's rows for one sex, indexed by whole age (days or months) from `first`."""

    first: int
    rows: tuple[LMS, ...]

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1

    def at(self, age: int) -> LMS:
        return self.rows[age - self.first]

    def interpolated(self, age: float) -> LMS:
        """L, M and S at a fractional age, interpolated linearly between the whole ages either
        side, as WHO's 2007 reference software does (same operations, same order)."""
        low = math.trunc(age)
        diff = age - low
        lower = self.at(low)
        if not diff > 0:
            return lower
        upper = self.at(math.trunc(age + 1))
        return LMS(
            l=lower.l + diff * (upper.l - lower.l),
            m=lower.m + diff * (upper.m - lower.m),
            s=lower.s + diff * (upper.s - lower.s),
        )


@cache
def table(name: Table) -> dict[Sex, AgeTable]:
    """Read one of WHO's tab-separated files (columns sex, age, l, m, s[, loh])."""
    by_sex: dict[Sex, list[tuple[int, LMS]]] = {Sex.MALE: [], Sex.FEMALE: []}
    with (DATA / f"{name.value}.txt").open(encoding="ascii", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            lms = LMS(l=float(row["l"]), m=float(row["m"]), s=float(row["s"]))
            by_sex[_WHO_SEX[row["sex"]]].append((int(row["age"]), lms))
    result = {}
    for sex, rows in by_sex.items():
        rows.sort(key=lambda r: r[0])
        first = rows[0][0]
        if [age for age, _ in rows] != list(range(first, first + len(rows))):
            raise ValueError(
                f"{name.value}: ages are not one row per whole age"
            )  # pragma: no cover
        result[sex] = AgeTable(first=first, rows=tuple(lms for _, lms in rows))
    return result


def round_half_away(x: float, digits: int = 2) -> float:
    """Round as WHO's macros do (`rounde`): halves away from zero, on x * 10^digits."""
    scale = 10.0**digits
    scaled = abs(x * scale)
    whole = math.floor(scaled)
    if scaled - whole >= 0.5:
        whole += 1
    if whole == 0:
        return 0.0
    return math.copysign(whole, x) / scale
