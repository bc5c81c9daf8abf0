"""The WHO growth calculator (pure core) and `care365 growth`.

The main oracle is WHO's own: survey_who2007_z.csv is WHO's example survey of 933 children aged
5-19 with the z-scores WHO's software computed for each. Further fixed values come from the unit
tests of WHO's `anthro` (0-5 years) and `anthroplus` (5-19 years) packages.
"""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given, settings
from hypothesis import strategies as st

from care365.care.growth import (
    DAYS_PER_MONTH,
    Classification,
    Flag,
    GrowthInputError,
    Position,
    Reference,
    assess,
)
from care365.care.growth.lms import LMS, Sex, Table, round_half_away, table

SURVEY = Path(__file__).parent / "data" / "survey_who2007_z.csv"
ROOT = Path(__file__).resolve().parents[3]

# --- WHO's survey, every row -------------------------------------------------------------------


def _value(text: str) -> float | None:
    return float(text) if text.strip() else None


def _survey_rows() -> list[dict[str, str]]:
    with SURVEY.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_agrees_with_who_for_every_row_of_the_2007_survey() -> None:
    """Inputs: sex (1 male, 2 female), agemons (age in months), height (cm), weight (kg),
    oedema (y/n). Expected: WHO's zhfa, zwfa, zbfa and the flags fhfa, fwfa, fbfa, compared
    exactly after rounding (no tolerance), and cbmi (BMI) to 1e-9 (the file prints 15 digits).

    The survey was scored by WHO's earlier software, which still gave z-scores a little past the
    reference's upper ages; WHO's current anthroplus treats 228 months (height, BMI) and 120
    months (weight) as inclusive limits and blanks those values in its own test of this file.
    The same blanking is done here; every other empty WHO value must be None here too."""
    rows = _survey_rows()
    assert len(rows) == 933
    compared = {"zhfa": 0, "zwfa": 0, "zbfa": 0}
    blanked = 0
    mismatches = []
    for row in rows:
        age = float(row["agemons"])
        assert row["age.mo"] == row["agemons"]
        result = assess(
            sex={"1": "M", "2": "F"}[row["sex"]],
            age_months=age,
            height_cm=_value(row["height"]),
            weight_kg=_value(row["weight"]),
            oedema=row["oedema"] == "y",
        )
        for column, flag_column, flag, last_month in (
            ("zhfa", "fhfa", Flag.IMPLAUSIBLE_ZHFA, 228),
            ("zwfa", "fwfa", Flag.IMPLAUSIBLE_ZWFA, 120),
            ("zbfa", "fbfa", Flag.IMPLAUSIBLE_ZBFA, 228),
        ):
            expected = _value(row[column])
            expected_flag = _value(row[flag_column])
            if age > last_month and expected is not None:
                expected, expected_flag = None, None
                blanked += 1
            got = getattr(result, column)
            got_flag = None if got is None else float(flag in result.flags)
            if (got, got_flag) != (expected, expected_flag):
                mismatches.append((row["id"], column, expected, got, expected_flag, got_flag))
            compared[column] += expected is not None
        cbmi = _value(row["cbmi"])
        if cbmi is None:
            assert result.bmi is None
        else:
            assert result.bmi == pytest.approx(cbmi, rel=1e-9, abs=0)
    assert mismatches == []
    # what was compared: every row, these many non-empty WHO values per indicator
    assert compared == {"zhfa": 920, "zwfa": 254, "zbfa": 915}
    assert blanked == 4 + 4 + 4  # 4 children past 228 months (zhfa, zbfa), 4 past 120 (zwfa)


# --- fixed values from WHO's own package tests --------------------------------------------------


@pytest.mark.parametrize(
    ("months", "height", "weight", "expected"),
    [
        (60.32, 113.8, 18.7, (0.96, 0.21, -0.58)),
        (60.911701, 113.6, 20.5, (0.85, 0.79, 0.42)),
    ],
)
def test_anthroplus_values_near_five_years(
    months: float, height: float, weight: float, expected: tuple[float, float, float]
) -> None:
    result = assess(sex="F", age_months=months, height_cm=height, weight_kg=weight)
    assert (result.zhfa, result.zwfa, result.zbfa) == expected
    assert result.reference is Reference.REFERENCE_2007


def test_anthro_values_under_five() -> None:
    # length measured lying at 987 days counts as height 0.7 cm shorter; z below -6 is flagged
    lying = assess(sex="M", age_days=987, height_cm=72.86, position=Position.LENGTH)
    assert lying.zhfa == -6.09
    assert lying.height_cm == pytest.approx(72.16)
    assert lying.flags == (Flag.IMPLAUSIBLE_ZHFA,)
    assert lying.classes == ()  # an implausible value is not classified
    assert assess(sex="F", age_days=1522, weight_kg=17).zwfa == 0.24
    # 24 months is 730.5 days: WHO rounds the half up to day 731, where height is used
    assert assess(sex="F", age_months=24, height_cm=77.5).zhfa == -2.55
    assert assess(sex="F", age_months=24, height_cm=77.5, position="height").zhfa == -2.55


def test_standing_height_before_nine_months_is_not_believed() -> None:
    at_8 = assess(sex="M", age_months=8, height_cm=60, position="height")
    at_9 = assess(sex="M", age_months=9, height_cm=60, position="height")
    assert (at_8.height_cm, at_8.zhfa) == (60, -4.81)
    assert Flag.POSITION_IMPLAUSIBLE in at_8.flags
    assert at_9.height_cm == pytest.approx(60.7)
    assert at_9.zhfa == -5.02
    assert Flag.POSITION_IMPLAUSIBLE not in at_9.flags


def test_length_and_height_are_converted_by_0_7_cm_around_two_years() -> None:
    # before 731 days the standards are for recumbent length, from 731 days for standing height
    assert assess(sex="M", age_days=730, height_cm=80, position="height").height_cm == 80.7
    assert assess(sex="M", age_days=730, height_cm=80, position="length").height_cm == 80
    assert assess(sex="M", age_days=731, height_cm=80, position="length").height_cm == 79.3
    assert assess(sex="M", age_days=731, height_cm=80, position="height").height_cm == 80
    # the 2007 reference has no such rule
    assert assess(sex="M", age_months=80, height_cm=120, position="length").height_cm == 120
    lying = assess(sex="F", age_days=900, height_cm=85.7, weight_kg=12, position="length")
    standing = assess(sex="F", age_days=900, height_cm=85.0, weight_kg=12, position="height")
    assert (lying.zhfa, lying.zbfa) == (standing.zhfa, standing.zbfa)


# --- the method itself --------------------------------------------------------------------------


def test_z_is_the_lms_formula_within_three_sd() -> None:
    lms = table(Table.HEIGHT_5_19)[Sex.MALE].at(120)
    expected = round_half_away(((140 / lms.m) ** lms.l - 1) / (lms.s * lms.l))
    assert assess(sex="M", age_months=120, height_cm=140).zhfa == expected


def test_weight_beyond_three_sd_is_counted_in_the_two_to_three_sd_spacing() -> None:
    lms = table(Table.WEIGHT_0_5)[Sex.FEMALE].at(400)
    sd2, sd3 = lms.sd(2), lms.sd(3)
    assert assess(sex="F", age_days=400, weight_kg=sd3 + (sd3 - sd2)).zwfa == 4.0
    sd2neg, sd3neg = lms.sd(-2), lms.sd(-3)
    assert assess(sex="F", age_days=400, weight_kg=sd3neg - (sd2neg - sd3neg) / 2).zwfa == -3.5
    # the unrestricted LMS z would differ: the weight distribution is skewed
    assert lms.z(sd3 + (sd3 - sd2)) != pytest.approx(4.0, abs=0.01)


def test_reference_interpolates_between_whole_months() -> None:
    rows = table(Table.BMI_5_19)[Sex.FEMALE]
    low, high = rows.at(130), rows.at(131)
    middle = rows.interpolated(130.5)
    assert middle.m == pytest.approx((low.m + high.m) / 2)
    assert middle.s == pytest.approx((low.s + high.s) / 2)
    assert rows.interpolated(130) == low


def test_rounding_is_half_away_from_zero() -> None:
    assert round_half_away(1.125) == 1.13
    assert round_half_away(-1.125) == -1.13
    assert round_half_away(0.004) == 0.0
    assert round_half_away(-0.004) == 0.0  # not -0.0
    assert str(round_half_away(-0.004)) == "0.0"


def test_which_table_applies_by_age() -> None:
    assert assess(sex="M", age_months=59.99, height_cm=110).reference is Reference.STANDARDS_2006
    assert assess(sex="M", age_months=60, height_cm=110).reference is Reference.REFERENCE_2007
    assert assess(sex="M", age_days=1826, height_cm=110).reference is Reference.STANDARDS_2006
    assert assess(sex="M", age_days=1827, height_cm=110).reference is Reference.REFERENCE_2007
    at_limit = assess(sex="M", age_months=228, height_cm=175, weight_kg=65)
    assert (at_limit.zhfa is not None, at_limit.zbfa is not None) == (True, True)
    beyond = assess(sex="M", age_months=228.1, height_cm=175, weight_kg=65)
    assert (beyond.zhfa, beyond.zwfa, beyond.zbfa, beyond.reference) == (None, None, None, None)
    assert beyond.bmi == pytest.approx(65 / 1.75**2)


def test_weight_for_age_stops_at_ten_years() -> None:
    assert assess(sex="F", age_months=120, weight_kg=30).zwfa is not None
    assert assess(sex="F", age_months=120.1, weight_kg=30).zwfa is None
    assert assess(sex="F", age_months=59, weight_kg=18).zwfa is not None


def test_missing_measurements_and_oedema_leave_their_indicators_empty() -> None:
    no_weight = assess(sex="M", age_months=100, height_cm=130)
    assert (no_weight.zwfa, no_weight.zbfa, no_weight.bmi) == (None, None, None)
    assert no_weight.zhfa is not None
    no_height = assess(sex="M", age_months=100, weight_kg=25)
    assert (no_height.zhfa, no_height.zbfa) == (None, None)
    assert no_height.zwfa is not None
    oedema = assess(sex="M", age_days=500, height_cm=78, weight_kg=10, oedema=True)
    assert (oedema.zwfa, oedema.zbfa) == (None, None)
    assert oedema.zhfa is not None
    assert oedema.bmi is not None


def test_age_in_days_and_in_months_agree() -> None:
    for days in (100, 1000, 1800, 3000, 6000):
        months = days / DAYS_PER_MONTH
        by_days = assess(sex="F", age_days=days, height_cm=120, weight_kg=22)
        by_months = assess(sex="F", age_months=months, height_cm=120, weight_kg=22)
        assert (by_days.zhfa, by_days.zwfa, by_days.zbfa) == (
            by_months.zhfa,
            by_months.zwfa,
            by_months.zbfa,
        )


# --- flags and classes --------------------------------------------------------------------------


def _value_at(lms: LMS, z: float) -> float:
    """The measurement WHO's curves put at z (for weight and BMI beyond +/-3 SD: the restricted
    spacing, so the value scores z again)."""
    if abs(z) <= 3:
        return lms.sd(z)
    sd2, sd3 = lms.sd(math.copysign(2, z)), lms.sd(math.copysign(3, z))
    return sd3 + (abs(z) - 3) * (sd3 - sd2)


def _height_at(z: float, *, sex: str = "M", months: int = 120) -> float:
    return table(Table.HEIGHT_5_19)[Sex(sex)].at(months).sd(z)


def _bmi_weight(z: float, height: float, *, sex: str = "M", months: int = 120) -> float:
    bmi = _value_at(table(Table.BMI_5_19)[Sex(sex)].at(months), z)
    return bmi * (height / 100) ** 2


@pytest.mark.parametrize(
    ("z", "expected"),
    [
        (-1.9, ()),
        (-2.1, (Classification.STUNTING,)),
        (-3.1, (Classification.SEVERE_STUNTING,)),
    ],
)
def test_stunting_classes(z: float, expected: tuple[Classification, ...]) -> None:
    result = assess(sex="M", age_months=120, height_cm=_height_at(z))
    assert result.zhfa == z
    assert result.classes == expected


def test_implausible_height_is_flagged_not_classified() -> None:
    result = assess(sex="M", age_months=120, height_cm=_height_at(-6.2))
    assert result.zhfa == -6.2
    assert result.flags == (Flag.IMPLAUSIBLE_ZHFA,)
    assert result.classes == ()
    assert assess(sex="M", age_months=120, height_cm=_height_at(6.0)).flags == ()


@pytest.mark.parametrize(
    ("z", "expected"),
    [
        (-3.5, (Classification.SEVERE_THINNESS,)),
        (-2.5, (Classification.THINNESS,)),
        (0.0, ()),
        (1.0, ()),
        (1.5, (Classification.OVERWEIGHT,)),
        (2.5, (Classification.OBESITY,)),
    ],
)
def test_bmi_classes_from_five_to_nineteen(z: float, expected: tuple[Classification, ...]) -> None:
    height = 138.0
    result = assess(sex="M", age_months=120, height_cm=height, weight_kg=_bmi_weight(z, height))
    assert result.zbfa == z
    assert [c for c in result.classes if c not in ("underweight", "severe_underweight")] == list(
        expected
    )


@pytest.mark.parametrize(
    ("z", "expected"),
    [
        (1.5, ()),
        (2.5, (Classification.OVERWEIGHT,)),
        (3.5, (Classification.OBESITY,)),
        (-2.5, (Classification.THINNESS,)),
    ],
)
def test_bmi_classes_under_five(z: float, expected: tuple[Classification, ...]) -> None:
    bmi = _value_at(table(Table.BMI_0_5)[Sex.FEMALE].at(1000), z)
    result = assess(sex="F", age_days=1000, height_cm=90.0, weight_kg=bmi * 0.9 * 0.9)
    assert result.zbfa == z
    assert [c for c in result.classes if c not in ("underweight", "severe_underweight")] == list(
        expected
    )


def test_implausible_weight_and_bmi_are_flagged() -> None:
    heavy = assess(
        sex="F", age_days=400, weight_kg=table(Table.WEIGHT_0_5)[Sex.FEMALE].at(400).m * 3
    )
    assert heavy.zwfa is not None and heavy.zwfa > 5
    assert heavy.flags == (Flag.IMPLAUSIBLE_ZWFA,)
    light = assess(sex="M", age_months=100, height_cm=130, weight_kg=8)
    assert light.zbfa is not None and light.zbfa < -5
    assert Flag.IMPLAUSIBLE_ZBFA in light.flags
    assert Classification.SEVERE_THINNESS not in light.classes
    underweight = assess(
        sex="F", age_days=400, weight_kg=table(Table.WEIGHT_0_5)[Sex.FEMALE].at(400).sd(-2.5)
    )
    assert underweight.zwfa == -2.5
    assert underweight.classes == (Classification.UNDERWEIGHT,)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sex": "X", "age_months": 100}, "sex must be M or F"),
        ({"sex": "M"}, "the age is missing"),
        ({"sex": "M", "age_months": 100, "age_days": 3000}, "both given"),
        ({"sex": "M", "age_months": -1}, "age_months must not be negative"),
        ({"sex": "M", "age_months": 100, "height_cm": 0}, "height_cm must be greater than 0"),
        ({"sex": "M", "age_months": 100, "weight_kg": -3}, "weight_kg must be greater than 0"),
        ({"sex": "M", "age_months": float("nan")}, "age_months must be a finite number"),
        ({"sex": "M", "age_months": 100, "position": "sitting"}, "position must be length"),
    ],
)
def test_bad_measurements_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(GrowthInputError, match=message):
        assess(**kwargs)


# --- properties ---------------------------------------------------------------------------------

_sex = st.sampled_from(["M", "F"])
_months = st.floats(min_value=0, max_value=228, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(sex=_sex, months=_months, height=st.floats(40, 200), more=st.floats(0.1, 30))
def test_taller_never_lowers_height_z_nor_raises_bmi_z(
    sex: str, months: float, height: float, more: float
) -> None:
    shorter = assess(sex=sex, age_months=months, height_cm=height, weight_kg=30)
    taller = assess(sex=sex, age_months=months, height_cm=height + more, weight_kg=30)
    assert shorter.zhfa is not None and taller.zhfa is not None
    assert taller.zhfa >= shorter.zhfa
    assert shorter.zbfa is not None and taller.zbfa is not None
    assert taller.zbfa <= shorter.zbfa


@settings(max_examples=300, deadline=None)
@given(sex=_sex, months=_months, weight=st.floats(1, 120), more=st.floats(0.01, 20))
def test_heavier_never_lowers_weight_or_bmi_z(
    sex: str, months: float, weight: float, more: float
) -> None:
    lighter = assess(sex=sex, age_months=months, height_cm=120, weight_kg=weight)
    heavier = assess(sex=sex, age_months=months, height_cm=120, weight_kg=weight + more)
    assert heavier.zbfa is not None and lighter.zbfa is not None
    assert heavier.zbfa >= lighter.zbfa
    if lighter.zwfa is not None:
        assert heavier.zwfa is not None
        assert heavier.zwfa >= lighter.zwfa


@settings(max_examples=200, deadline=None)
@given(sex=_sex, months=_months, z=st.floats(-4.5, 4.5))
def test_the_weight_at_a_given_z_scores_that_z(sex: str, months: float, z: float) -> None:
    """Restricted z is continuous at +/-3 and inverts the SD curves: the weight WHO's own SD
    formula gives for z scores z again (to rounding)."""
    days = months * DAYS_PER_MONTH
    if months < 60:
        day = int(days) + (days - int(days) >= 0.5)
        lms = table(Table.WEIGHT_0_5)[Sex(sex)].at(day)
    elif months <= 120:
        lms = table(Table.WEIGHT_5_10)[Sex(sex)].interpolated(months)
    else:
        return
    result = assess(sex=sex, age_months=months, weight_kg=_value_at(lms, z))
    assert result.zwfa is not None
    assert abs(result.zwfa - z) <= 0.005 + 1e-9


# --- the command --------------------------------------------------------------------------------


def _run(*args: str) -> Any:
    out = StringIO()
    call_command("growth", *args, stdout=out)
    return json.loads(out.getvalue())


def test_command_prints_json_for_age_in_months() -> None:
    printed = _run(
        "--sex", "F", "--age-months", "130.5", "--height-cm", "140.2", "--weight-kg", "33.1"
    )
    expected = assess(sex="F", age_months=130.5, height_cm=140.2, weight_kg=33.1)
    assert printed == {
        "zhfa": expected.zhfa,
        "zwfa": None,  # weight-for-age stops at 10 years
        "zbfa": expected.zbfa,
        "bmi": round(33.1 / 1.402**2, 2),
        "flags": [],
        "classes": [],
    }
    assert set(printed) == {"zhfa", "zwfa", "zbfa", "bmi", "flags", "classes"}


def test_command_prints_json_for_age_in_days() -> None:
    printed = _run("--sex", "M", "--age-days", "1200", "--height-cm", "95.0", "--weight-kg", "14.2")
    expected = assess(sex="M", age_days=1200, height_cm=95.0, weight_kg=14.2)
    assert expected.reference is Reference.STANDARDS_2006
    assert printed == expected.as_dict()
    assert None not in (printed["zhfa"], printed["zwfa"], printed["zbfa"])
    short = _run("--sex", "M", "--age-days", "1200", "--height-cm", "85", "--position", "height")
    assert short == assess(sex="M", age_days=1200, height_cm=85, position="height").as_dict()
    assert short["zhfa"] < -2
    assert short["classes"] in (["stunting"], ["severe_stunting"])


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_command_csv_round_trip(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    out = tmp_path / "out.csv"
    header = ["name", "sex", "age_months", "age_days", "height_cm", "weight_kg"]
    rows = [
        ["小明", "M", "130.5", "", "140.2", "33.1"],
        ["Li", "F", "", "1200", "95.0", "14.2"],
        ["no weight", "f", "100", "", "128", ""],
        ["adult", "M", "240", "", "170", "60"],
    ]
    _write_csv(source, [header, *rows])
    call_command("growth", "--csv", str(source), "--out", str(out), stdout=StringIO())
    written = _read_csv(out)
    assert [list(r.values())[:6] for r in written] == rows  # the input columns, unchanged
    assert list(written[0]) == [*header, "zhfa", "zwfa", "zbfa", "bmi"]
    for row, line in zip(written, rows, strict=True):
        expected = assess(
            sex=line[1],
            age_months=_value(line[2]),
            age_days=_value(line[3]),
            height_cm=_value(line[4]),
            weight_kg=_value(line[5]),
        )
        for column in ("zhfa", "zwfa", "zbfa"):
            value = getattr(expected, column)
            assert row[column] == ("" if value is None else f"{value:.2f}")
        assert row["bmi"] == ("" if expected.bmi is None else f"{expected.bmi:.2f}")
    assert written[0]["zwfa"] == ""  # over 10 years
    assert written[2]["zhfa"] != "" and (written[2]["zwfa"], written[2]["zbfa"]) == ("", "")
    assert (written[3]["zhfa"], written[3]["bmi"]) == ("", "20.76")


def test_command_csv_with_the_who_survey_gives_who_values(tmp_path: Path) -> None:
    survey = _survey_rows()
    source = tmp_path / "survey.csv"
    _write_csv(
        source,
        [["id", "sex", "age_months", "age_days", "height_cm", "weight_kg", "oedema"]]
        + [
            [
                r["id"],
                {"1": "M", "2": "F"}[r["sex"]],
                r["agemons"],
                "",
                r["height"],
                r["weight"],
                r["oedema"],
            ]
            for r in survey
        ],
    )
    out = tmp_path / "z.csv"
    call_command("growth", "--csv", str(source), "--out", str(out), stdout=StringIO())
    written = _read_csv(out)
    assert len(written) == 933
    for row, who in zip(written, survey, strict=True):
        if float(who["agemons"]) <= 120:
            assert _value(row["zwfa"]) == _value(who["zwfa"])
        if float(who["agemons"]) <= 228:
            assert _value(row["zhfa"]) == _value(who["zhfa"])
            assert _value(row["zbfa"]) == _value(who["zbfa"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("sex,age_months,height_cm\nM,100,120\n", "missing column(s): weight_kg"),
        ("sex,height_cm,weight_kg\nM,120,20\n", "missing column(s): age_months or age_days"),
        (
            "sex,age_months,age_days,height_cm,weight_kg\nM,100,,120,20\nX,100,,120,20\n",
            "line 3: sex must be M or F, not 'X'",
        ),
        (
            "sex,age_months,age_days,height_cm,weight_kg\nM,100,3000,120,20\n",
            "line 2: age_months and age_days are both given",
        ),
        (
            "sex,age_months,age_days,height_cm,weight_kg\nM,,,120,20\n",
            "line 2: the age is missing",
        ),
        (
            "sex,age_months,age_days,height_cm,weight_kg\nM,100,,1.2m,20\n",
            "line 2: height_cm '1.2m' is not a number",
        ),
        (
            "sex,age_months,age_days,height_cm,weight_kg\nM,100,,120,-20\n",
            "line 2: weight_kg must be greater than 0",
        ),
        ("sex,age_months,age_days,height_cm,weight_kg\nM,100,,120\n", "line 2: 4 fields"),
        ("", "is empty"),
    ],
)
def test_command_refuses_bad_csv_and_writes_nothing(
    tmp_path: Path, content: str, message: str
) -> None:
    source = tmp_path / "in.csv"
    source.write_text(content, encoding="utf-8")
    out = tmp_path / "out.csv"
    out.write_text("the earlier output\n", encoding="utf-8")
    with pytest.raises(CommandError) as error:
        call_command("growth", "--csv", str(source), "--out", str(out), stdout=StringIO())
    assert message in str(error.value)
    assert out.read_text(encoding="utf-8") == "the earlier output\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]


def test_command_reports_every_bad_line_at_once(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "sex,age_months,age_days,height_cm,weight_kg\nQ,1,,50,3\nM,1,,50,3\nM,1,,0,3\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as error:
        call_command("growth", "--csv", str(source), "--out", str(tmp_path / "o.csv"))
    assert "2 bad row(s), nothing written" in str(error.value)
    assert "line 2:" in str(error.value) and "line 4:" in str(error.value)
    assert not (tmp_path / "o.csv").exists()


def test_command_refuses_unreadable_input_and_unwritable_output(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read"):
        call_command("growth", "--csv", str(tmp_path / "absent.csv"))
    source = tmp_path / "in.csv"
    source.write_text("sex,age_months,height_cm,weight_kg\nM,100,120,20\n", encoding="utf-8")
    with pytest.raises(CommandError, match="cannot write"):
        call_command("growth", "--csv", str(source), "--out", str(tmp_path / "no" / "out.csv"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sex", "M", "--age-months", "100", "--height-cm", "-1"], "greater than 0"),
        (["--sex", "W", "--age-months", "100"], "sex must be M or F"),
        (["--age-months", "100"], "give --sex"),
        (["--sex", "M"], "the age is missing"),
        (["--csv", "x.csv", "--sex", "M"], "drop --sex"),
        (["--sex", "M", "--age-months", "100", "--out", "x.csv"], "--out goes with --csv"),
    ],
)
def test_command_refuses_bad_arguments(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("growth", *args, stdout=StringIO())


def test_console_script_exits_non_zero_with_the_message(tmp_path: Path) -> None:
    env = {**os.environ, "CARE365_DEMO": "1", "DJANGO_SETTINGS_MODULE": "config.settings"}
    command = [sys.executable, "-m", "care365.cli", "growth"]
    ok = subprocess.run(  # noqa: S603  # the project's own command
        [*command, "--sex", "M", "--age-days", "1200", "--height-cm", "95", "--weight-kg", "14.2"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["zhfa"] == assess(sex="M", age_days=1200, height_cm=95).zhfa
    bad = subprocess.run(  # noqa: S603  # the project's own command
        [*command, "--sex", "M", "--age-days", "1200", "--weight-kg", "0"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert bad.returncode != 0
    assert "weight_kg must be greater than 0" in bad.stderr
    assert bad.stdout == ""
