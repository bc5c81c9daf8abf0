"""Growth charts as server-rendered SVG: a child's measurements against WHO's median and the
curves 2 SD below and above it, for height-for-age and BMI-for-age.

The curves come from the growth core's own LMS tables (care/growth/lms.py), the same numbers the
z-scores are computed from: the 2006 standards under 60 months (by day), the 2007 reference from
60 to 228 months (by month). The template draws what this module computes; no script runs in the
browser (the strict CSP), and every shape is styled by class from the stylesheet.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from care365.care.growth import DAYS_PER_MONTH
from care365.care.growth.lms import Sex, Table, table
from care365.care.selectors import GrowthPoint

STANDARDS_BELOW_MONTHS = 60
LAST_MONTH = 228
SD_LINES = ((-2, "sd-low"), (0, "sd-median"), (2, "sd-high"))

# The drawing: a 340 x 220 box, the plot inside the margins.
WIDTH, HEIGHT = 340, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 10, 30


@dataclass(frozen=True)
class Indicator:
    code: str
    title: Promise
    unit: str
    standards: Table  # 0-5 years, by day
    reference: Table  # 5-19 years, by month


HEIGHT_FOR_AGE = Indicator(
    "hfa", _("Height for age"), "cm", Table.LENGTH_HEIGHT_0_5, Table.HEIGHT_5_19
)
BMI_FOR_AGE = Indicator("bfa", _("BMI for age"), "kg/m²", Table.BMI_0_5, Table.BMI_5_19)


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    label: str
    flagged: bool


@dataclass
class Chart:
    """One chart, in SVG user units, ready for the template."""

    code: str
    title: Promise
    unit: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM
    right: int = WIDTH - RIGHT
    y_label_x: int = LEFT - 4
    x_label_y: int = HEIGHT - BOTTOM + 14
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    curves: list[tuple[str, str]] = field(default_factory=list)  # (css class, SVG points)
    marks: list[Mark] = field(default_factory=list)
    in_years: bool = True  # the age axis counts years (else months, for the youngest)


def sd_value(indicator: Indicator, sex: str, months: float, k: float) -> float | None:
    """The measurement at k SD for a child of this sex and age, from WHO's tables."""
    if months < 0 or months > LAST_MONTH:
        return None
    who_sex = Sex(sex)
    if months < STANDARDS_BELOW_MONTHS:
        rows = table(indicator.standards)[who_sex]
        day = min(max(round(months * DAYS_PER_MONTH), rows.first), rows.last)
        return rows.at(day).sd(k)
    rows = table(indicator.reference)[who_sex]
    return rows.interpolated(min(max(months, float(rows.first)), float(rows.last))).sd(k)


def _nice_step(span: float, ticks: int) -> float:
    raw = span / max(ticks, 1)
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for step in (1, 2, 5, 10):
        if raw <= step * magnitude:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover


def chart(
    indicator: Indicator, sex: str, values: Sequence[tuple[float, float, bool, str]]
) -> Chart:
    """The chart of one indicator: `values` are (age in months, measurement, flagged, label)."""
    ages = [v[0] for v in values]
    lo = max(0.0, math.floor((min(ages) - 6) / 6) * 6)
    hi = min(float(LAST_MONTH), math.ceil((max(ages) + 6) / 6) * 6)
    if hi - lo < 12:
        hi = min(float(LAST_MONTH), lo + 12)
        lo = max(0.0, hi - 12)
    step = 1.0 if hi - lo <= 36 else 3.0
    months = [lo + i * step for i in range(int((hi - lo) / step) + 1)]
    curves_raw: list[tuple[str, list[tuple[float, float]]]] = []
    for k, css in SD_LINES:
        line = [(m, v) for m in months if (v := sd_value(indicator, sex, m, k)) is not None]
        curves_raw.append((css, line))
    ys = [v for _c, line in curves_raw for _m, v in line] + [
        v[1] for v in values if lo <= v[0] <= hi
    ]
    y_step = _nice_step(max(ys) - min(ys), 5)
    y_lo = math.floor(min(ys) / y_step) * y_step
    y_hi = math.ceil(max(ys) / y_step) * y_step
    result = Chart(code=indicator.code, title=indicator.title, unit=indicator.unit)

    def x_of(m: float) -> float:
        return round(LEFT + (m - lo) / (hi - lo) * (WIDTH - LEFT - RIGHT), 1)

    def y_of(v: float) -> float:
        return round(TOP + (y_hi - v) / (y_hi - y_lo) * (HEIGHT - TOP - BOTTOM), 1)

    result.curves = [
        (css, " ".join(f"{x_of(m)},{y_of(v)}" for m, v in line)) for css, line in curves_raw
    ]
    result.in_years = hi - lo > 36
    x_step = 12 if result.in_years else 6 if hi - lo > 12 else 3
    first_tick = math.ceil(lo / x_step) * x_step
    result.x_ticks = [
        (x_of(m), f"{m // 12}" if result.in_years else f"{m}")
        for m in range(int(first_tick), int(hi) + 1, x_step)
    ]
    count = round((y_hi - y_lo) / y_step)
    result.y_ticks = [(y_of(y_lo + i * y_step), f"{y_lo + i * y_step:g}") for i in range(count + 1)]
    result.marks = [
        Mark(x=x_of(age), y=y_of(value), label=label, flagged=flagged)
        for age, value, flagged, label in values
        if lo <= age <= hi and y_lo <= value <= y_hi
    ]
    return result


def growth_charts(sex: str, points: Sequence[GrowthPoint]) -> list[Chart]:
    """Height-for-age and BMI-for-age charts of the child's examinations (those with a value),
    up to 19 years; none without a measurement."""
    charts = []
    for indicator, attr in ((HEIGHT_FOR_AGE, "height_cm"), (BMI_FOR_AGE, "bmi")):
        values = []
        for p in points:
            value = getattr(p, attr)
            if value is None or p.age_months > LAST_MONTH:
                continue
            flagged = bool(p.flags)
            label = f"{p.examined_on:%Y-%m-%d}: {value:.1f} {indicator.unit}"
            values.append((p.age_months, float(value), flagged, label))
        if values:
            charts.append(chart(indicator, sex, values))
    return charts
