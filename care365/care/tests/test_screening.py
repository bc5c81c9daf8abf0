"""Screening instruments (data files, loader, scorer: the pure core) and `care365 screen`.

Worked examples follow each instrument's own scoring rules: PHQ-9/PHQ-A and GAD-7 sum the item
scores (0-3) with bands at 5/10/15(/20); CES-DC sums 20 items scored 0-3 with the positively
worded items 4, 8, 12 and 16 scored in reverse (3-0).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given
from hypothesis import strategies as st

from care365.care.screening import (
    BUILTIN,
    AnswerError,
    Instrument,
    InstrumentError,
    builtin,
    instrument_from_dict,
    instrument_from_json,
    load_instrument,
    score,
)
from care365.care.screening.instrument import DATA

ROOT = Path(__file__).resolve().parents[3]


def _raw(code: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / BUILTIN[code]).read_text(encoding="utf-8"))
    return data


# --- the shipped instruments --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "items", "total_range", "cutoff", "reversed_items"),
    [
        ("phq9", 9, (0, 27), 10, []),
        ("gad7", 7, (0, 21), 10, []),
        ("ces-dc", 20, (0, 60), 15, [4, 8, 12, 16]),
    ],
)
def test_shipped_instruments_load_with_their_published_shape(
    code: str, items: int, total_range: tuple[int, int], cutoff: int, reversed_items: list[int]
) -> None:
    instrument = builtin(code)
    assert instrument.code == code
    assert len(instrument.items) == items
    assert instrument.total_range == total_range
    assert instrument.cutoff == cutoff
    assert [i.number for i in instrument.items if i.reversed] == reversed_items
    assert all([o.value for o in i.options] == [0, 1, 2, 3] for i in instrument.items)
    assert instrument.version
    texts = [instrument.name, instrument.instructions] + [i.text for i in instrument.items]
    texts += [o.label for i in instrument.items for o in i.options]
    for text in texts:
        assert text.en.strip() and text.zh.strip()
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text.zh), text.zh  # Chinese, really
    assert "public domain" in instrument.licence.lower()


def test_chinese_texts_follow_the_chinese_phq9_and_gad7() -> None:
    phq, gad = builtin("phq9"), builtin("gad7")
    # the adolescent form asks about mood first and interest second
    assert phq.items[0].text.en.startswith("Feeling down, depressed, irritable")
    assert phq.items[1].text.zh == "做事时提不起劲或没有兴趣"
    assert phq.items[8].text.zh == "有不如死掉或用某种方式伤害自己的念头"
    assert [o.label.zh for o in phq.items[0].options] == [
        "完全不会",
        "好几天",
        "一半以上的天数",
        "几乎每天",
    ]
    assert gad.items[0].text.zh == "感觉紧张、焦虑或急切"
    assert gad.items[6].text.zh == "感到似乎将有可怕的事情发生而害怕"


def test_ages_the_instruments_are_meant_for() -> None:
    assert not builtin("phq9").suits_age(11)
    assert builtin("phq9").suits_age(12) and builtin("phq9").suits_age(17)
    assert builtin("ces-dc").suits_age(6) and not builtin("ces-dc").suits_age(18)


# --- worked examples ----------------------------------------------------------------------------


def test_ces_dc_reverses_the_positive_items() -> None:
    ces = builtin("ces-dc")
    # every item answered "Not at all": the four positive items score 3 each
    assert score(ces, [0] * 20).total == 12
    # "A lot" everywhere: 16 negative items x 3, positive items 0
    assert score(ces, [3] * 20).total == 48
    # a child happy and hopeful (positive items "A lot"), no symptoms: total 0
    happy = [3 if n in (4, 8, 12, 16) else 0 for n in range(1, 21)]
    assert score(ces, happy).total == 0
    # worked example: items 1-5 "Some" (2), item 6-10 "A little" (1), the rest "Not at all";
    # item 4 and item 8 reversed: 2->1, 1->2 ; item 12 and 16 reversed: 0->3
    answers = [2, 2, 2, 2, 2, 1, 1, 1, 1, 1] + [0] * 10
    expected = (2 + 2 + 2 + 1 + 2) + (1 + 1 + 2 + 1 + 1) + (3 + 3)
    result = score(ces, answers)
    assert result.total == expected == 21
    assert (result.band, result.above_cutoff) == ("depressive_symptoms", True)


@pytest.mark.parametrize(("total", "above"), [(14, False), (15, True)])
def test_ces_dc_cutoff_is_15(total: int, above: bool) -> None:
    # answers with all four reversed items "A lot" (score 0) and the total spread over the rest
    answers = [3 if n in (4, 8, 12, 16) else 0 for n in range(1, 21)]
    remaining = total
    for i in range(20):
        if i + 1 in (4, 8, 12, 16):
            continue
        answers[i] = min(3, remaining)
        remaining -= answers[i]
    result = score(builtin("ces-dc"), answers)
    assert result.total == total
    assert result.above_cutoff is above


@pytest.mark.parametrize(
    ("answers", "total", "band", "above"),
    [
        ([0, 0, 0, 0, 0, 0, 0, 0, 0], 0, "minimal", False),
        ([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "minimal", False),
        ([1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild", False),
        ([3, 3, 3, 0, 0, 0, 0, 0, 0], 9, "mild", False),
        ([3, 3, 3, 1, 0, 0, 0, 0, 0], 10, "moderate", True),
        ([3, 3, 3, 3, 2, 0, 0, 0, 0], 14, "moderate", True),
        ([3, 3, 3, 3, 3, 0, 0, 0, 0], 15, "moderately_severe", True),
        ([3, 3, 3, 3, 3, 3, 1, 0, 0], 19, "moderately_severe", True),
        ([3, 3, 3, 3, 3, 3, 2, 0, 0], 20, "severe", True),
        ([3] * 9, 27, "severe", True),
    ],
)
def test_phq9_totals_and_bands(answers: list[int], total: int, band: str, above: bool) -> None:
    result = score(builtin("phq9"), answers)
    assert (result.total, result.band, result.above_cutoff) == (total, band, above)
    assert result.flags == (("self_harm",) if answers[8] else ())


@pytest.mark.parametrize("item9", [1, 2, 3])
def test_any_answer_above_not_at_all_on_item_9_flags_self_harm(item9: int) -> None:
    result = score(builtin("phq9"), [0] * 8 + [item9])
    assert result.flags == ("self_harm",)
    assert result.total == item9
    assert not result.above_cutoff  # a low total does not hide the flag


def test_phq_a_supplementary_questions_raise_flags_but_do_not_count() -> None:
    phq = builtin("phq9")
    thoughts = score(phq, [0] * 9, {"suicidal_thoughts_past_month": 1})
    assert (thoughts.total, thoughts.flags) == (0, ("self_harm",))
    attempt = score(phq, [0] * 8 + [2], {"suicide_attempt_ever": 1, "difficulty": 3})
    assert attempt.flags == ("self_harm", "past_suicide_attempt")
    assert attempt.total == 2
    assert score(phq, [0] * 9, {"suicidal_thoughts_past_month": 0}).flags == ()
    with pytest.raises(AnswerError, match="no supplementary question 'mood'"):
        score(phq, [0] * 9, {"mood": 1})
    with pytest.raises(AnswerError, match=r"suicide_attempt_ever: 2 is not one of \[0, 1\]"):
        score(phq, [0] * 9, {"suicide_attempt_ever": 2})


@pytest.mark.parametrize(
    ("answers", "total", "band", "above"),
    [
        ([1, 1, 1, 1, 0, 0, 0], 4, "minimal", False),
        ([1, 1, 1, 1, 1, 0, 0], 5, "mild", False),
        ([3, 3, 3, 0, 0, 0, 0], 9, "mild", False),
        ([3, 3, 3, 1, 0, 0, 0], 10, "moderate", True),
        ([3, 3, 3, 3, 2, 0, 0], 14, "moderate", True),
        ([3, 3, 3, 3, 3, 0, 0], 15, "severe", True),
        ([3] * 7, 21, "severe", True),
    ],
)
def test_gad7_totals_and_bands(answers: list[int], total: int, band: str, above: bool) -> None:
    result = score(builtin("gad7"), answers)
    assert (result.total, result.band, result.above_cutoff) == (total, band, above)
    assert result.as_dict() == {
        "instrument": "gad7",
        "total": total,
        "band": band,
        "above_cutoff": above,
        "flags": [],
    }


@pytest.mark.parametrize(
    ("code", "answers", "message"),
    [
        ("phq9", [0] * 8, "phq9 has 9 items: give 9 answers, not 8"),
        ("ces-dc", [0] * 21, "ces-dc has 20 items: give 20 answers, not 21"),
        ("gad7", [0, 0, 0, 4, 0, 0, 0], r"item 4: 4 is out of range \(0-3\)"),
        ("gad7", [0, 0, 0, 0, 0, 0, -1], r"item 7: -1 is out of range \(0-3\)"),
        ("gad7", [0, 0, 0, 0, 0, 0, True], "item 7: the answer must be a whole number"),
    ],
)
def test_answers_that_do_not_fit_are_refused(code: str, answers: list[int], message: str) -> None:
    with pytest.raises(AnswerError, match=message):
        score(builtin(code), answers)


@given(st.data())
def test_total_is_the_sum_of_item_scores_within_range(data: st.DataObject) -> None:
    instrument = builtin(data.draw(st.sampled_from(sorted(BUILTIN))))
    answers = [data.draw(st.integers(i.lowest, i.highest)) for i in instrument.items]
    result = score(instrument, answers)
    low, high = instrument.total_range
    assert low <= result.total <= high
    assert result.total == sum(
        (3 - a) if i.reversed else a for i, a in zip(instrument.items, answers, strict=True)
    )
    band = next(b for b in instrument.bands if b.code == result.band)
    assert band.min <= result.total <= band.max
    assert result.above_cutoff == (result.total >= instrument.cutoff)


# --- a county's own instrument (an SDQ-shaped file with placeholder text) ------------------------


def _sdq_shaped() -> dict[str, Any]:
    """The shape of the SDQ: 25 items scored 0-2, some reversed, five subscales of five items,
    the prosocial one outside the total. The text is placeholder: Care365 ships no SDQ text."""

    def text(s: str) -> dict[str, str]:
        return {"en": s, "zh": f"{s}（中文）"}

    options = [{"value": v, "label": text(f"option {v}")} for v in (0, 1, 2)]
    prosocial = [1, 4, 9, 17, 20]
    return {
        "format": 1,
        "code": "sdq-parent-4-17",
        "version": "county-2025.1",
        "name": text("Licensed instrument"),
        "respondent": "parent",
        "age_min": 4,
        "age_max": 17,
        "instructions": text("instructions"),
        "source": "the county's licensed copy",
        "licence": "licensed to the county; not for redistribution",
        "options": options,
        "items": [
            {
                "number": n,
                "text": text(f"item {n}"),
                **({"reversed": True} if n in (7, 11, 14, 21, 25) else {}),
                **({"in_total": False} if n in prosocial else {}),
            }
            for n in range(1, 26)
        ],
        "subscales": [
            {"code": "emotional", "name": text("emotional"), "items": [3, 8, 13, 16, 24],
             "bands": [
                 {"code": "normal", "min": 0, "max": 3, "label": text("normal")},
                 {"code": "borderline", "min": 4, "max": 4, "label": text("borderline")},
                 {"code": "abnormal", "min": 5, "max": 10, "label": text("abnormal")},
             ]},
            {"code": "conduct", "name": text("conduct"), "items": [5, 7, 12, 18, 22]},
            {"code": "hyperactivity", "name": text("hyperactivity"), "items": [2, 10, 15, 21, 25]},
            {"code": "peer", "name": text("peer"), "items": [6, 11, 14, 19, 23]},
            {"code": "prosocial", "name": text("prosocial"), "items": prosocial},
        ],
        "bands": [
            {"code": "normal", "min": 0, "max": 13, "label": text("normal")},
            {"code": "borderline", "min": 14, "max": 16, "label": text("borderline")},
            {"code": "abnormal", "min": 17, "max": 40, "label": text("abnormal")},
        ],
        "cutoff": 17,
    }  # fmt: skip


def test_a_county_instrument_with_subscales_loads_and_scores(tmp_path: Path) -> None:
    path = tmp_path / "sdq.json"
    path.write_text(json.dumps(_sdq_shaped(), ensure_ascii=False), encoding="utf-8")
    instrument = load_instrument(path)
    assert instrument.total_range == (0, 40)
    answers = [2] * 25  # reversed items score 0, prosocial items count only in their subscale
    result = score(instrument, answers)
    assert result.subscales == {
        "emotional": 10,
        "conduct": 8,
        "hyperactivity": 6,
        "peer": 6,
        "prosocial": 10,
    }
    assert result.total == 10 + 8 + 6 + 6 == 30
    assert (result.band, result.above_cutoff) == ("abnormal", True)
    assert result.subscale_bands == {"emotional": "abnormal"}
    low = score(instrument, [0] * 25)
    assert low.total == 2 * 5  # the five reversed items, each 0 -> 2
    assert low.band == "normal"


def _broken(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(_sdq_shaped())
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("cutoff"), r"missing field\(s\) cutoff"),
        (lambda d: d.update(colour="red"), r"unknown field\(s\) colour"),
        (lambda d: d.update(format=2), "format: must be 1"),
        (lambda d: d.update(code="SDQ parent"), "code: 'SDQ parent' must match"),
        (lambda d: d.update(respondent="friend"), "respondent: must be one of"),
        (lambda d: d["items"][2]["text"].pop("zh"), r"items\[2\].text: missing field\(s\) zh"),
        (lambda d: d["items"][2]["text"].update(en=" "), "items.2..text.en: must be a non-empty"),
        (lambda d: d["items"][3].update(number=3), r"items\[3\].number: must be 4"),
        (lambda d: d["items"][0].update(reversed="yes"), "must be true or false"),
        (lambda d: d["options"].pop(1), "values must be two or more consecutive whole numbers"),
        (lambda d: d["bands"][1].update(min=15), r"bands\[1\]: min must be 14"),
        (lambda d: d["bands"][2].update(max=39), "the last band must end at 40"),
        (lambda d: d["bands"][2].update(code="normal"), "band codes must differ"),
        (lambda d: d.update(cutoff=41), "cutoff: must lie in 1-40"),
        (lambda d: d["subscales"][0].update(items=[3, 3]), "must be distinct item numbers 1-25"),
        (lambda d: d["subscales"][1].update(items=[26]), "must be distinct item numbers 1-25"),
        (
            lambda d: d["subscales"][0]["bands"][0].update(max=2),
            r"subscales\[0\].bands\[1\]: min must be 3",
        ),
        (lambda d: d.update(flags=[{"code": "x", "item": 30, "at_least": 1}]), "no item 30"),
        (lambda d: d.update(flags=[{"code": "x", "item": 3, "at_least": 0}]), "must lie in 1-2"),
        (lambda d: d.update(flags=[{"code": "x", "at_least": 1}]), "needs an item or a question"),
        (
            lambda d: d.update(flags=[{"code": "x", "question": "q", "at_least": 1}]),
            "no supplementary question 'q'",
        ),
        (lambda d: d.update(age_min=18), "age_min: is above age_max"),
        (lambda d: [i.update(in_total=False) for i in d["items"]], "at least one item must count"),
    ],
)
def test_loader_refuses_a_broken_file_naming_the_field(change: Any, message: str) -> None:
    with pytest.raises(InstrumentError, match=message):
        instrument_from_dict(_broken(change))


def test_loader_refuses_what_is_not_an_instrument(tmp_path: Path) -> None:
    with pytest.raises(InstrumentError, match="not valid JSON"):
        instrument_from_json("{")
    with pytest.raises(InstrumentError, match="must be an object"):
        instrument_from_json("[]")
    with pytest.raises(InstrumentError, match="cannot read"):
        load_instrument(tmp_path / "absent.json")
    with pytest.raises(InstrumentError, match="unknown instrument 'sdq'"):
        builtin("sdq")


def test_shipped_files_round_trip_through_the_loader() -> None:
    for code in BUILTIN:
        assert isinstance(instrument_from_dict(_raw(code)), Instrument)
        assert instrument_from_dict(_raw(code)) == builtin(code)


def test_no_sdq_text_is_shipped() -> None:
    shipped = " ".join(p.read_text(encoding="utf-8") for p in DATA.glob("*.json")).lower()
    assert sorted(p.name for p in DATA.glob("*.json")) == ["ces-dc.json", "gad7.json", "phq9.json"]
    assert "strengths and difficulties" not in shipped
    assert "considerate of other people" not in shipped


# --- the command --------------------------------------------------------------------------------


def _screen(*args: str) -> Any:
    out = StringIO()
    call_command("screen", *args, stdout=out)
    return json.loads(out.getvalue())


def test_command_prints_the_result() -> None:
    assert _screen("--instrument", "phq9", "--answers", "1,0,2,1,1,1,1,1,1") == {
        "instrument": "phq9",
        "total": 9,
        "band": "mild",
        "above_cutoff": False,
        "flags": ["self_harm"],
    }
    assert _screen("--instrument", "gad7", "--answers", "3, 3, 3, 1, 0, 0, 0") == {
        "instrument": "gad7",
        "total": 10,
        "band": "moderate",
        "above_cutoff": True,
        "flags": [],
    }
    ces = _screen("--instrument", "ces-dc", "--answers", ",".join(["0"] * 20))
    assert (ces["total"], ces["band"], ces["above_cutoff"]) == (12, "below_cutoff", False)


def test_command_scores_and_checks_a_county_file(tmp_path: Path) -> None:
    path = tmp_path / "sdq.json"
    path.write_text(json.dumps(_sdq_shaped()), encoding="utf-8")
    result = _screen("--instrument-file", str(path), "--answers", ",".join(["2"] * 25))
    assert result == {
        "instrument": "sdq-parent-4-17",
        "total": 30,
        "band": "abnormal",
        "above_cutoff": True,
        "flags": [],
    }
    summary = _screen("--check", str(path))
    assert summary["items"] == 25 and summary["total_range"] == [0, 40]
    assert summary["subscales"] == ["emotional", "conduct", "hyperactivity", "peer", "prosocial"]
    path.write_text(json.dumps(_broken(lambda d: d.update(cutoff=0))), encoding="utf-8")
    with pytest.raises(CommandError, match="cutoff: must lie in 1-40"):
        call_command("screen", "--check", str(path), stdout=StringIO())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--instrument", "phq9", "--answers", "1,0,2"], "phq9 has 9 items: give 9 answers"),
        (["--instrument", "gad7", "--answers", "0,0,0,0,0,0,7"], "item 7: 7 is out of range"),
        (["--instrument", "gad7", "--answers", "0,0,0,0,0,0,-1"], "item 7: -1 is out of range"),
        (["--instrument", "sdq", "--answers", "1"], "unknown instrument 'sdq'"),
        (["--instrument", "gad7", "--answers", "0,0,,0,0,0,0"], "answer 3 is empty"),
        (["--instrument", "gad7", "--answers", "0,0,x,0,0,0,0"], "answer 3 is 'x'"),
        (["--instrument", "gad7", "--answers", "0,0,1.5,0,0,0,0"], "answer 3 is '1.5'"),
        (["--instrument", "gad7"], "give --answers"),
        (["--answers", "1"], "give --instrument"),
    ],
)
def test_command_refuses_bad_input(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("screen", *args, stdout=StringIO())


def test_console_script_exits_non_zero_on_bad_answers() -> None:
    env = {**os.environ, "CARE365_DEMO": "1", "DJANGO_SETTINGS_MODULE": "config.settings"}
    command = [sys.executable, "-m", "care365.cli", "screen", "--instrument"]
    ok = subprocess.run(  # noqa: S603  # the project's own command
        [*command, "ces-dc", "--answers", ",".join(["3"] * 20)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["total"] == 48
    for answers, message in (("1,2", "has 20 items"), (",".join(["4"] * 20), "out of range")):
        bad = subprocess.run(  # noqa: S603  # the project's own command
            [*command, "ces-dc", "--answers", answers],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            check=False,
        )
        assert bad.returncode != 0
        assert message in bad.stderr
