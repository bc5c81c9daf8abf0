"""Periodic jobs: what a job is, and core's own (the database's planner statistics).

Every app declares its periodic work in its `jobs.py` as a tuple `JOBS` of `PeriodicJob`s; the
worker (care365/worker/loop.py) composes them and runs each once a day. A job's `name` is the key
of its `PeriodicJobRun` row (its last run and result), so a job keeps its name for good.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from care365.core.maintenance import db_analyze


@dataclass(frozen=True)
class PeriodicJob:
    """A daily job: `run(today)` does the work idempotently and returns a short summary."""

    name: str
    run: Callable[[date], str]


def _db_analyze(today: date) -> str:
    return db_analyze()


JOBS: tuple[PeriodicJob, ...] = (PeriodicJob("db_analyze", _db_analyze),)
