"""Screening instruments as data, and the loader that checks an instrument file. Pure Python: no
Django.

An instrument file (JSON, format 1) holds everything needed to show the form in Chinese and
English and to score it: items with their answer options, reversed items, items left out of the
total, subscales, bands over the total, the cut-off, and rules that raise flags (such as
"self_harm"). docs/growth-and-screening.md describes the format field by field. The loader
refuses anything it does not understand, with the path of the offending field, so that a county
loading its own licensed instrument learns at once what to fix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

FORMAT = 1
DATA = Path(__file__).resolve().parent / "data"
BUILTIN = {"phq9": "phq9.json", "gad7": "gad7.json", "ces-dc": "ces-dc.json"}

_CODE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class InstrumentError(ValueError):
    """An instrument file that cannot be used; the message names the field."""


class Respondent(StrEnum):
    SELF = "self"
    PARENT = "parent"
    TEACHER = "teacher"
    CLINICIAN = "clinician"


@dataclass(frozen=True, slots=True)
class Text:
    en: str
    zh: str

    def get(self, language: str) -> str:
        """The text in `language` (a Django language code such as "zh-hans" or "en")."""
        return self.zh if language.lower().startswith("zh") else self.en


@dataclass(frozen=True, slots=True)
class Option:
    value: int  # the score printed on the form for this answer
    label: Text


@dataclass(frozen=True, slots=True)
class Item:
    number: int
    text: Text
    options: tuple[Option, ...]
    reversed: bool = False
    in_total: bool = True

    @property
    def lowest(self) -> int:
        return self.options[0].value

    @property
    def highest(self) -> int:
        return self.options[-1].value

    def score(self, answer: int) -> int:
        """The item's score for an answer as printed on the form (reversed items count
        backwards)."""
        return self.lowest + self.highest - answer if self.reversed else answer


@dataclass(frozen=True, slots=True)
class Band:
    code: str
    min: int
    max: int
    label: Text


@dataclass(frozen=True, slots=True)
class Subscale:
    code: str
    name: Text
    items: tuple[int, ...]
    bands: tuple[Band, ...] = ()


@dataclass(frozen=True, slots=True)
class Question:
    """A supplementary question on the form: asked and kept, not part of any score."""

    code: str
    text: Text
    options: tuple[Option, ...]


@dataclass(frozen=True, slots=True)
class FlagRule:
    """Raise `code` when the answer (as printed) to an item or a supplementary question is at
    least `at_least`."""

    code: str
    at_least: int
    item: int | None = None
    question: str | None = None


@dataclass(frozen=True, slots=True)
class Instrument:
    code: str
    version: str
    name: Text
    respondent: Respondent
    age_min: int | None
    age_max: int | None
    instructions: Text
    source: str
    licence: str
    items: tuple[Item, ...]
    subscales: tuple[Subscale, ...]
    bands: tuple[Band, ...]
    cutoff: int  # a total at or above the cut-off screens positive
    flag_rules: tuple[FlagRule, ...]
    supplementary: tuple[Question, ...] = ()
    notes: Text | None = None

    @property
    def total_range(self) -> tuple[int, int]:
        return _range(item for item in self.items if item.in_total)

    def suits_age(self, years: int) -> bool:
        """Whether the instrument is meant for a child of this age (in whole years)."""
        if self.age_min is not None and years < self.age_min:
            return False
        return self.age_max is None or years <= self.age_max


# --- reading and checking ------------------------------------------------------------------------


def _fail(path: str, message: str) -> InstrumentError:
    return InstrumentError(f"{path}: {message}" if path else message)


def _object(value: Any, path: str, required: set[str], optional: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(path, "must be an object")
    unknown = sorted(set(value) - required - optional)
    if unknown:
        raise _fail(path, f"unknown field(s) {', '.join(unknown)}")
    missing = sorted(required - set(value))
    if missing:
        raise _fail(path, f"missing field(s) {', '.join(missing)}")
    return value


def _list(value: Any, path: str, *, empty: bool = False) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(path, "must be a list")
    if not value and not empty:
        raise _fail(path, "must not be empty")
    return value


def _string(value: Any, path: str, pattern: re.Pattern[str] | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, "must be a non-empty string")
    if pattern is not None and not pattern.fullmatch(value):
        raise _fail(path, f"{value!r} must match {pattern.pattern}")
    return value


def _integer(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(path, "must be a whole number")
    return value


def _boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(path, "must be true or false")
    return value


def _text(value: Any, path: str) -> Text:
    data = _object(value, path, {"en", "zh"}, set())
    return Text(en=_string(data["en"], f"{path}.en"), zh=_string(data["zh"], f"{path}.zh"))


def _options(value: Any, path: str) -> tuple[Option, ...]:
    options = []
    for i, raw in enumerate(_list(value, path)):
        data = _object(raw, f"{path}[{i}]", {"value", "label"}, set())
        options.append(
            Option(
                value=_integer(data["value"], f"{path}[{i}].value"),
                label=_text(data["label"], f"{path}[{i}].label"),
            )
        )
    values = [o.value for o in options]
    if len(values) < 2 or values != list(range(values[0], values[0] + len(values))):
        raise _fail(path, f"values must be two or more consecutive whole numbers, not {values}")
    return tuple(options)


def _bands(value: Any, path: str, low: int, high: int) -> tuple[Band, ...]:
    bands: list[Band] = []
    for i, raw in enumerate(_list(value, path)):
        where = f"{path}[{i}]"
        data = _object(raw, where, {"code", "min", "max", "label"}, set())
        band = Band(
            code=_string(data["code"], f"{where}.code", _NAME),
            min=_integer(data["min"], f"{where}.min"),
            max=_integer(data["max"], f"{where}.max"),
            label=_text(data["label"], f"{where}.label"),
        )
        if band.min > band.max:
            raise _fail(where, f"min {band.min} is above max {band.max}")
        expected = low if not bands else bands[-1].max + 1
        if band.min != expected:
            raise _fail(where, f"min must be {expected}: bands cover {low}-{high} in order")
        bands.append(band)
    if bands[-1].max != high:
        raise _fail(path, f"the last band must end at {high}, not {bands[-1].max}")
    if len({b.code for b in bands}) != len(bands):
        raise _fail(path, "band codes must differ")
    return tuple(bands)


def instrument_from_dict(data: Any) -> Instrument:
    """Check an instrument's data (a parsed JSON file) and build it; InstrumentError says what
    is wrong and where."""
    top = _object(
        data,
        "",
        {
            "format",
            "code",
            "version",
            "name",
            "respondent",
            "instructions",
            "source",
            "licence",
            "items",
            "bands",
            "cutoff",
        },
        {
            "age_min",
            "age_max",
            "options",
            "subscales",
            "flags",
            "supplementary",
            "notes",
        },
    )
    if _integer(top["format"], "format") != FORMAT:
        raise _fail("format", f"must be {FORMAT}, not {top['format']!r}")
    try:
        respondent = Respondent(top["respondent"])
    except (TypeError, ValueError):
        choices = ", ".join(r.value for r in Respondent)
        raise _fail("respondent", f"must be one of {choices}") from None
    age_min = None if top.get("age_min") is None else _integer(top["age_min"], "age_min")
    age_max = None if top.get("age_max") is None else _integer(top["age_max"], "age_max")
    if age_min is not None and age_max is not None and age_min > age_max:
        raise _fail("age_min", "is above age_max")
    default_options = None if "options" not in top else _options(top["options"], "options")
    items = _items(top["items"], default_options)
    low, high = _range(item for item in items if item.in_total)
    cutoff = _integer(top["cutoff"], "cutoff")
    if not low < cutoff <= high:
        raise _fail("cutoff", f"must lie in {low + 1}-{high}, not {cutoff}")
    supplementary = _supplementary(top.get("supplementary", []))
    return Instrument(
        code=_string(top["code"], "code", _CODE),
        version=_string(top["version"], "version"),
        name=_text(top["name"], "name"),
        respondent=respondent,
        age_min=age_min,
        age_max=age_max,
        instructions=_text(top["instructions"], "instructions"),
        source=_string(top["source"], "source"),
        licence=_string(top["licence"], "licence"),
        items=items,
        subscales=_subscales(top.get("subscales", []), items),
        bands=_bands(top["bands"], "bands", low, high),
        cutoff=cutoff,
        flag_rules=_flag_rules(top.get("flags", []), items, supplementary),
        supplementary=supplementary,
        notes=None if "notes" not in top else _text(top["notes"], "notes"),
    )


def _range(items: Iterable[Item]) -> tuple[int, int]:
    """The lowest and highest sum of scores over `items`."""
    low = high = 0
    for item in items:
        low += item.lowest
        high += item.highest
    return low, high


def _items(value: Any, default_options: tuple[Option, ...] | None) -> tuple[Item, ...]:
    items = []
    for i, raw in enumerate(_list(value, "items")):
        where = f"items[{i}]"
        data = _object(raw, where, {"number", "text"}, {"options", "reversed", "in_total"})
        number = _integer(data["number"], f"{where}.number")
        if number != i + 1:
            raise _fail(f"{where}.number", f"must be {i + 1}: items are numbered 1, 2, 3 ...")
        if "options" in data:
            options = _options(data["options"], f"{where}.options")
        elif default_options is not None:
            options = default_options
        else:
            raise _fail(where, "has no options, and the instrument has no default options")
        items.append(
            Item(
                number=number,
                text=_text(data["text"], f"{where}.text"),
                options=options,
                reversed=_boolean(data.get("reversed", False), f"{where}.reversed"),
                in_total=_boolean(data.get("in_total", True), f"{where}.in_total"),
            )
        )
    if not any(item.in_total for item in items):
        raise _fail("items", "at least one item must count in the total")
    return tuple(items)


def _subscales(value: Any, items: tuple[Item, ...]) -> tuple[Subscale, ...]:
    subscales = []
    for i, raw in enumerate(_list(value, "subscales", empty=True)):
        where = f"subscales[{i}]"
        data = _object(raw, where, {"code", "name", "items"}, {"bands"})
        numbers = tuple(
            _integer(n, f"{where}.items[{j}]") for j, n in enumerate(_list(data["items"], where))
        )
        if len(set(numbers)) != len(numbers) or not all(1 <= n <= len(items) for n in numbers):
            raise _fail(f"{where}.items", f"must be distinct item numbers 1-{len(items)}")
        low, high = _range(items[n - 1] for n in numbers)
        subscales.append(
            Subscale(
                code=_string(data["code"], f"{where}.code", _NAME),
                name=_text(data["name"], f"{where}.name"),
                items=numbers,
                bands=()
                if "bands" not in data
                else _bands(data["bands"], f"{where}.bands", low, high),
            )
        )
    if len({s.code for s in subscales}) != len(subscales):
        raise _fail("subscales", "subscale codes must differ")
    return tuple(subscales)


def _supplementary(value: Any) -> tuple[Question, ...]:
    questions = []
    for i, raw in enumerate(_list(value, "supplementary", empty=True)):
        where = f"supplementary[{i}]"
        data = _object(raw, where, {"code", "text", "options"}, set())
        questions.append(
            Question(
                code=_string(data["code"], f"{where}.code", _NAME),
                text=_text(data["text"], f"{where}.text"),
                options=_options(data["options"], f"{where}.options"),
            )
        )
    if len({q.code for q in questions}) != len(questions):
        raise _fail("supplementary", "question codes must differ")
    return tuple(questions)


def _flag_rules(
    value: Any, items: tuple[Item, ...], questions: tuple[Question, ...]
) -> tuple[FlagRule, ...]:
    by_code = {q.code: q for q in questions}
    rules = []
    for i, raw in enumerate(_list(value, "flags", empty=True)):
        where = f"flags[{i}]"
        data = _object(raw, where, {"code", "at_least"}, {"item", "question"})
        if ("item" in data) == ("question" in data):
            raise _fail(where, "needs an item or a question (one of the two)")
        at_least = _integer(data["at_least"], f"{where}.at_least")
        item: int | None = None
        question: str | None = None
        if "item" in data:
            item = _integer(data["item"], f"{where}.item")
            if not 1 <= item <= len(items):
                raise _fail(f"{where}.item", f"there is no item {item}")
            options = items[item - 1].options
        else:
            question = _string(data["question"], f"{where}.question")
            if question not in by_code:
                raise _fail(f"{where}.question", f"there is no supplementary question {question!r}")
            options = by_code[question].options
        if not options[0].value < at_least <= options[-1].value:
            raise _fail(
                f"{where}.at_least", f"must lie in {options[0].value + 1}-{options[-1].value}"
            )
        code = _string(data["code"], f"{where}.code", _NAME)
        rules.append(FlagRule(code=code, at_least=at_least, item=item, question=question))
    return tuple(rules)


def instrument_from_json(text: str | bytes) -> Instrument:
    """Parse and check the text of an instrument file."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InstrumentError(f"not valid JSON: {error}") from error
    return instrument_from_dict(data)


def load_instrument(path: str | Path) -> Instrument:
    """Read and check an instrument file."""
    try:
        text = Path(path).read_bytes()
    except OSError as error:
        raise InstrumentError(f"cannot read {path}: {error.strerror or error}") from error
    try:
        return instrument_from_json(text)
    except InstrumentError as error:
        raise InstrumentError(f"{path}: {error}") from error


@cache
def builtin(code: str) -> Instrument:
    """One of the instruments shipped with Care365 (BUILTIN: phq9, gad7, ces-dc)."""
    if code not in BUILTIN:
        raise InstrumentError(f"unknown instrument {code!r}; shipped: {', '.join(BUILTIN)}")
    return load_instrument(DATA / BUILTIN[code])


def builtin_all() -> Mapping[str, Instrument]:
    return {code: builtin(code) for code in BUILTIN}
