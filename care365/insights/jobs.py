"""Insights' periodic work: every village recounted once a day (the figures that move with the
calendar), and the catch-up the worker runs every few seconds (services.rollups_catch_up)."""

from __future__ import annotations

from datetime import date

from care365.core.jobs import PeriodicJob
from care365.insights.services import rollups_catch_up, rollups_refresh_all


def _refresh_all(today: date) -> str:
    return rollups_refresh_all(today)


# After care's jobs (the risk list, which tightens the due dates the figures count).
JOBS: tuple[PeriodicJob, ...] = (PeriodicJob("insights_refresh_all", _refresh_all),)

__all__ = ["JOBS", "rollups_catch_up"]
