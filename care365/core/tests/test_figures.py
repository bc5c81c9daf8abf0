from __future__ import annotations

from care365.core.figures import cells_with_total, small_cell


def test_counts_below_five_are_shown_as_less_than_five() -> None:
    assert [small_cell(n) for n in (0, 1, 4, 5, 6, 1234)] == ["<5", "<5", "<5", "5", "6", "1234"]


def test_a_total_is_exact_only_when_no_part_is_hidden() -> None:
    assert cells_with_total([12, 30]) == (["12", "30"], "42")
    # 120 + a hidden 3 = 123 would give the 3 back: the total says only what is shown.
    assert cells_with_total([120, 3]) == (["120", "<5"], "≥120")
    assert cells_with_total([2, 2]) == (["<5", "<5"], "<5")
    assert cells_with_total([]) == ([], "<5")
