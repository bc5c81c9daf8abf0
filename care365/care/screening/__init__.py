"""Wellbeing screening instruments as data, and their scoring (pure core: no Django).
See docs/growth-and-screening.md."""

from care365.care.screening.instrument import (
    BUILTIN,
    Band,
    FlagRule,
    Instrument,
    InstrumentError,
    Item,
    Option,
    Question,
    Respondent,
    Subscale,
    Text,
    builtin,
    builtin_all,
    instrument_from_dict,
    instrument_from_json,
    load_instrument,
)
from care365.care.screening.scoring import AnswerError, ScreeningResult, score

__all__ = [
    "BUILTIN",
    "AnswerError",
    "Band",
    "FlagRule",
    "Instrument",
    "InstrumentError",
    "Item",
    "Option",
    "Question",
    "Respondent",
    "ScreeningResult",
    "Subscale",
    "Text",
    "builtin",
    "builtin_all",
    "instrument_from_dict",
    "instrument_from_json",
    "load_instrument",
    "score",
]
