"""Growth z-scores by WHO's method (pure core: no Django). See docs/growth-and-screening.md."""

from care365.care.growth.calculator import (
    DAYS_PER_MONTH,
    Assessment,
    Classification,
    Flag,
    GrowthInputError,
    Position,
    Reference,
    assess,
)
from care365.care.growth.lms import Sex

__all__ = [
    "DAYS_PER_MONTH",
    "Assessment",
    "Classification",
    "Flag",
    "GrowthInputError",
    "Position",
    "Reference",
    "Sex",
    "assess",
]
