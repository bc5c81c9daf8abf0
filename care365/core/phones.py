"""Phone numbers as Care365 compares them: one normal form for look-ups and keyed hashes."""

from __future__ import annotations


def normalise_phone(phone: str) -> str:
    """A phone number as digits only, without China's country code (+86 / 0086).

    "+86 139-1234-5678", "0086 13912345678" and "139 1234 5678" are all "13912345678"; a
    landline keeps its area code ("0578-5081234" is "05785081234")."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            return digits[len(prefix) :]
    return digits
