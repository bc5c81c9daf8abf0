"""People's names as Care365 stores and compares them (a pure core: no Django).

A name typed on a phone, pasted from a spreadsheet or read from a scanned form arrives in many
spellings of the same text: full-width letters and digits, compatibility ideographs, an
ideographic space between surname and given name, a trailing space, a zero-width space from a
web page. Two records of one child must not escape duplicate detection because of them, and a
name of spaces alone is no name. Every name (children's, parents', entrusted carers') goes
through `normalise` before it is saved and before duplicates are looked for.
"""

from __future__ import annotations

import unicodedata

# Invisible characters that NFKC keeps: zero-width space, non-joiner and joiner, word joiner,
# and the byte-order mark (a zero-width no-break space when inside text).
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_DROP = dict.fromkeys(map(ord, ZERO_WIDTH))


def normalise(name: str) -> str:
    """The name in NFKC, without zero-width characters, with every run of whitespace (the
    ideographic space included) made one space, and trimmed. "" when nothing visible is left:
    the caller refuses a blank name where one is required."""
    text = unicodedata.normalize("NFKC", name).translate(_DROP)
    return " ".join(text.split())
