"""Small cells: how figures for areas above the county are shown (DESIGN.md, "No oracles").

A count below 5 is shown as "<5", zero included: in a small place a count of 1 or 2 points at
a family. A total shown beside its parts would give a hidden part back by subtraction, so a
total is exact only when none of its parts is hidden; otherwise it says "at least" the shown
parts' sum, which the viewer knows already. Every page, export and API answer that shows figures
above the county goes through here.
"""

from __future__ import annotations

from collections.abc import Sequence

SMALL_CELL = 5
HIDDEN = "<5"


def small_cell(count: int) -> str:
    """One count as shown above the county: "<5" below 5, else the number."""
    return HIDDEN if count < SMALL_CELL else str(count)


def is_hidden(count: int) -> bool:
    return count < SMALL_CELL


def cells_with_total(counts: Sequence[int]) -> tuple[list[str], str]:
    """Parts and their total as shown: each part through `small_cell`; the total exact when no
    part is hidden (and itself not small), else "≥N" with N the sum of the parts shown."""
    cells = [small_cell(n) for n in counts]
    total = sum(counts)
    if not any(is_hidden(n) for n in counts):
        return cells, small_cell(total)
    shown = sum(n for n in counts if not is_hidden(n))
    return cells, f"≥{shown}" if shown else HIDDEN
