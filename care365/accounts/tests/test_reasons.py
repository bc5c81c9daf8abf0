"""The one rule for a reason (reveal, confirm-id, export, break-the-glass)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from care365.accounts.reasons import MIN_REASON_CHARS, reason_validate


@pytest.mark.parametrize(
    "reason",
    [
        "",
        "x",
        "   ",
        "核对户籍",  # four characters: a word, not a sentence
        "..........,,,,",
        "1234567890123",
        "aaaaaaaaaaaaaaa",
        "ababababababab",
        "急急急急急急急急急急急",
        "？！。，、；：“”（）《》",
        "x 1 2 3 4 5 6 7 8 9",
    ],
)
def test_a_reason_that_says_nothing_is_refused(reason: str) -> None:
    with pytest.raises(ValidationError) as exc:
        reason_validate(reason)
    assert list(exc.value.message_dict) == ["reason"]
    assert str(MIN_REASON_CHARS) in exc.value.message_dict["reason"][0]


@pytest.mark.parametrize(
    ("reason", "kept"),
    [
        ("核对户籍信息以办理低保", "核对户籍信息以办理低保"),
        ("  guardian asked   for a copy ", "guardian asked for a copy"),
        ("代同事值班，儿童走失", "代同事值班，儿童走失"),  # CJK characters count one each
        ("Ｐｏｌｉｃｅ　ｃｈｅｃｋ", "Ｐｏｌｉｃｅ ｃｈｅｃｋ"),  # full-width letters are letters
    ],
)
def test_a_sentence_is_kept_as_written_with_spaces_collapsed(reason: str, kept: str) -> None:
    assert reason_validate(reason) == kept


def test_a_reason_is_cut_to_what_the_log_keeps() -> None:
    assert len(reason_validate("监护人申请查阅" * 100)) == 255
