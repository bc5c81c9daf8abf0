"""The one rule for every reason a user gives to reach more of a child's data: revealing or
confirming a full ID number, exporting a whole record, breaking the glass (docs/privacy.md).

A reason is read later by a county administrator going through the access log, so it must say
something: a sentence, not "x", "...", "111" or "aaaaaaaaaa". The rule counts characters as
people read them, so a Chinese character counts as one, like a Latin letter.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext as _

MIN_REASON_CHARS = 10  # characters after trimming and collapsing spaces
MIN_REASON_LETTERS = 5  # letters or CJK characters among them (not digits or punctuation)
MIN_REASON_DISTINCT = 4  # different letters: not one character (or two) repeated
MAX_REASON_CHARS = 255  # what the access log keeps


def reason_error() -> str:
    return _(
        "Say why in a sentence of at least %(n)d characters: not only digits, punctuation or "
        "one character repeated."
    ) % {"n": MIN_REASON_CHARS}


def _reason_hint() -> str:
    return _(
        "A sentence of at least %(n)d characters, written to the access log with your name."
    ) % {"n": MIN_REASON_CHARS}


# For a reason field's help text: the rule said before anyone is refused by it (in the language
# of the page that shows it, hence lazy).
reason_hint = lazy(_reason_hint, str)


def reason_validate(reason: str) -> str:
    """The reason as it is kept (spaces collapsed, at most MAX_REASON_CHARS), or a
    ValidationError on `reason` with a message in the user's language. Characters are counted
    after NFKC normalisation, so full-width letters and digits count as what they are."""
    text = " ".join(str(reason).split())
    counted = unicodedata.normalize("NFKC", text)
    letters = [c for c in counted if c.isalpha()]
    if (
        len(counted) < MIN_REASON_CHARS
        or len(letters) < MIN_REASON_LETTERS
        or len(set(letters)) < MIN_REASON_DISTINCT
    ):
        raise ValidationError({"reason": [reason_error()]}, code="reason")
    return text[:MAX_REASON_CHARS]


def reason_field_validator(reason: str) -> None:
    """For a form field: the same rule, the message on the field itself."""
    try:
        reason_validate(reason)
    except ValidationError as exc:
        raise ValidationError(reason_error(), code="reason") from exc
