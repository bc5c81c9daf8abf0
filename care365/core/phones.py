"""Phone numbers as Care365 compares them: one normal form for look-ups and keyed hashes."""

from __future__ import annotations

import re

_NOT_DIGIT = re.compile(r"\D")


def normalise_phone(phone: str) -> str:
    """A phone number as digits only, without China's country code (+86 / 0086).

    "+86 139-1234-5678", "0086 13912345678" and "139 1234 5678" are all "13912345678"; a
    landline keeps its area code ("0578-5081234" is "05785081234")."""
    digits = _NOT_DIGIT.sub("", phone)
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            return digits[len(prefix) :]
    return digits


class InvalidPhone(ValueError):  # noqa: N818  # reads as a domain term: "invalid phone"
    """Not a mainland mobile number nor a landline with its area code."""


_MOBILE = re.compile(r"1[3-9][0-9]{9}")
# Beijing (010) and the large cities' 02X codes have 8-digit local numbers; every other area code
# has four digits (0XXX) and 7- or 8-digit local numbers. A local number starts with 2-9.
_LANDLINE = re.compile(r"0(?:10|2[0-9])[2-9][0-9]{7}|0[3-9][0-9]{2}[2-9][0-9]{6,7}")


def check_phone(raw: str) -> str:
    """The normal form of a mainland mobile number or a landline with its area code; raises
    InvalidPhone for anything else (a landline without its area code, a number too short or too
    long, letters). Spaces, dashes, brackets and a +86 / 0086 prefix are allowed around it."""
    text = raw.strip()
    if not text or re.search(r"[^0-9 +\-()（）]", text):
        raise InvalidPhone(raw)
    digits = normalise_phone(text)
    if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
        return digits
    raise InvalidPhone(raw)
