"""People's names as Care365 stores and compares them (a pure core: no Django).

A name typed on a phone, pasted from a spreadsheet or read from a scanned form arrives in many
spellings of the same text: full-width letters and digits, compatibility ideographs, an
ideographic space between surname and given name, a trailing space, a zero-width space from a
web page. Two records of one child must not escape duplicate detection because of them, and a
name of spaces alone is no name. Every name (children's, parents', entrusted carers') goes
through `normalise` before it is saved and before duplicates are looked for.

Lists of children come out in the order of the names' pinyin (`sort_key`), as a Chinese reader
looks a name up, not in the order of the characters' code points (which puts 严 before 任).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

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


# Surnames read otherwise than the character's most common reading (单 is shan as a surname,
# not dan; 曾 is zeng, not ceng): the first one or two characters of a name are read as here.
SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "单": ("shan4",),
    "曾": ("zeng1",),
    "仇": ("qiu2",),
    "解": ("xie4",),
    "区": ("ou1",),
    "朴": ("piao2",),
    "查": ("zha1",),
    "盖": ("ge3",),
    "缪": ("miao4",),
    "覃": ("qin2",),
    "翟": ("zhai2",),
    "乐": ("yue4",),
    "尉迟": ("yu4", "chi2"),
    "万俟": ("mo4", "qi2"),
    "长孙": ("zhang3", "sun1"),
    "澹台": ("tan2", "tai2"),
    "种": ("chong2",),
    "繁": ("po2",),
    "员": ("yun4",),
    "召": ("shao4",),
    "秘": ("bi4",),
    "宁": ("ning4",),
    "柏": ("bai3",),
    "薄": ("bo2",),
    "重": ("chong2",),
    "尉": ("yu4",),
}
SORT_KEY_LENGTH = 120  # Child.name_sort's max_length: far more than any name needs


@lru_cache(maxsize=65536)  # seeding and the data migration meet the same names many times
def sort_key(name: str) -> str:
    """The name's pinyin, each character's syllable with its tone (1-4, 5 for the neutral one),
    space-separated, lower case: "严明" is "yan2 ming2" and "任飞" "ren4 fei1", so names sort
    by reading, then tone, character after character, as in a dictionary. A surname with a
    reading of its own (SURNAME_READINGS) is read as a surname; anything that is not a Chinese
    character (a Latin letter, "·") is kept, lower-cased."""
    text = normalise(name)
    head: tuple[str, ...] = ()
    for length in (2, 1):
        reading = SURNAME_READINGS.get(text[:length])
        if reading:
            head, text = reading, text[length:]
            break
    syllables = [
        *head,
        *lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True, errors="default"),
    ]
    key = " ".join(part.strip().lower() for part in syllables if part.strip())
    return key[:SORT_KEY_LENGTH]
