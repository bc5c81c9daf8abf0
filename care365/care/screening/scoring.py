"""Scoring a completed screening form. Pure Python: no Django.

Answers are the scores printed on the form, one per item in item order; reversed items are
turned round here, so whoever enters a paper form copies what the child ticked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from care365.care.screening.instrument import Instrument


class AnswerError(ValueError):
    """Answers that do not fit the instrument; the message says which and why."""


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    instrument: str
    version: str
    answers: tuple[int, ...]  # as printed on the form
    total: int
    band: str
    above_cutoff: bool  # the total is at or above the instrument's cut-off
    flags: tuple[str, ...]  # e.g. "self_harm"
    subscales: Mapping[str, int] = field(default_factory=dict)
    subscale_bands: Mapping[str, str] = field(default_factory=dict)  # where the file has bands
    supplementary: Mapping[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of `care365 screen`."""
        return {
            "instrument": self.instrument,
            "total": self.total,
            "band": self.band,
            "above_cutoff": self.above_cutoff,
            "flags": list(self.flags),
        }


def score(
    instrument: Instrument,
    answers: Sequence[int],
    supplementary: Mapping[str, int] | None = None,
) -> ScreeningResult:
    """Score one completed form. `answers` holds one answer per item, in item order;
    `supplementary` the answers to any supplementary questions that were asked, by code."""
    items = instrument.items
    if len(answers) != len(items):
        raise AnswerError(
            f"{instrument.code} has {len(items)} items: give {len(items)} answers, "
            f"not {len(answers)}"
        )
    for item, answer in zip(items, answers, strict=True):
        if isinstance(answer, bool) or not isinstance(answer, int):
            raise AnswerError(f"item {item.number}: the answer must be a whole number")
        if not item.lowest <= answer <= item.highest:
            raise AnswerError(
                f"item {item.number}: {answer} is out of range ({item.lowest}-{item.highest})"
            )
    extra = dict(supplementary or {})
    questions = {q.code: q for q in instrument.supplementary}
    for code, answer in extra.items():
        if code not in questions:
            raise AnswerError(f"{instrument.code} has no supplementary question {code!r}")
        values = [o.value for o in questions[code].options]
        if isinstance(answer, bool) or answer not in values:
            raise AnswerError(f"{code}: {answer!r} is not one of {values}")

    scores = [item.score(answer) for item, answer in zip(items, answers, strict=True)]
    total = sum(s for item, s in zip(items, scores, strict=True) if item.in_total)
    band = next(b.code for b in instrument.bands if b.min <= total <= b.max)
    subscales = {s.code: sum(scores[n - 1] for n in s.items) for s in instrument.subscales}
    subscale_bands = {
        s.code: next(b.code for b in s.bands if b.min <= subscales[s.code] <= b.max)
        for s in instrument.subscales
        if s.bands
    }
    flags: list[str] = []
    for rule in instrument.flag_rules:
        given = answers[rule.item - 1] if rule.item is not None else extra.get(rule.question or "")
        if given is not None and given >= rule.at_least and rule.code not in flags:
            flags.append(rule.code)
    return ScreeningResult(
        instrument=instrument.code,
        version=instrument.version,
        answers=tuple(answers),
        total=total,
        band=band,
        above_cutoff=total >= instrument.cutoff,
        flags=tuple(flags),
        subscales=subscales,
        subscale_bands=subscale_bands,
        supplementary=extra,
    )
