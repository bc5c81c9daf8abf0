"""The registry's periodic jobs: statuses end at their age limits, and children who left the
registry long enough ago are anonymised (retention). Both are idempotent, so a missed day is
caught up by the next run."""

from __future__ import annotations

from datetime import date

from care365.core.jobs import PeriodicJob
from care365.registry.services import children_anonymise_due, statuses_age_out


def _age_out(today: date) -> str:
    return f"{statuses_age_out(today=today)} statuses ended"


def _retention(today: date) -> str:
    return f"{children_anonymise_due(today=today)} children anonymised"


JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob("statuses_age_out", _age_out),
    PeriodicJob("retention", _retention),
)
