"""The `care365 worker` loop: periodic jobs that any number of worker processes share.

Like healthchecks' `sendalerts`, a worker is a plain loop: every sweep it writes its heartbeat and
runs each periodic job that is due. A job is due once per day. A worker claims the day's run with
a conditional update of the job's row (`last_run_on < today`) inside the transaction that runs
the job, so two workers never both run it the same day (PostgreSQL: the row is locked and a
second worker skips it; SQLite: write transactions are serialised), and a job that fails rolls its
claim back and is tried again on the next sweep. Every job is idempotent and works from what is in
the tables, so a day the workers missed is caught up by the next run.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import close_old_connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from care365.core.models import PeriodicJobRun, WorkerHeartbeat
from care365.registry.services import statuses_age_out

logger = logging.getLogger("care365.worker")


@dataclass(frozen=True)
class PeriodicJob:
    """A daily job: `run(today)` does the work idempotently and returns a short summary."""

    name: str
    run: Callable[[date], str]


def _age_out(today: date) -> str:
    return f"{statuses_age_out(today=today)} statuses ended"


JOBS: tuple[PeriodicJob, ...] = (PeriodicJob("statuses_age_out", _age_out),)


def job_run_if_due(job: PeriodicJob, *, today: date, now: datetime) -> str | None:
    """Run `job` for `today` unless it already ran today (here or in another worker).

    Returns the job's summary, or None when it was not due or another worker holds it.
    """
    PeriodicJobRun.objects.get_or_create(name=job.name)
    due = Q(last_run_on__isnull=True) | Q(last_run_on__lt=today)
    with transaction.atomic():
        # skip_locked: a worker running this job right now holds the row; the others move on
        # instead of waiting. (SQLite has no row locks; its write transactions are serialised.)
        row = (
            PeriodicJobRun.objects.select_for_update(skip_locked=True)
            .filter(due, name=job.name)
            .first()
        )
        if row is None:
            return None
        claimed = PeriodicJobRun.objects.filter(due, pk=row.pk).update(
            last_run_on=today, last_run_at=now, runs=F("runs") + 1
        )
        if claimed != 1:
            return None
        result = job.run(today)
        PeriodicJobRun.objects.filter(pk=row.pk).update(last_result=result[:255])
    return result


def heartbeat(*, name: str, host: str, pid: int, now: datetime) -> None:
    updated = WorkerHeartbeat.objects.filter(name=name).update(
        last_seen=now, sweeps=F("sweeps") + 1
    )
    if not updated:
        WorkerHeartbeat.objects.create(
            name=name, host=host, pid=pid, started_at=now, last_seen=now, sweeps=1
        )


@dataclass
class Worker:
    """One worker process. `stop` ends the loop after the current sweep."""

    interval: float = 60.0
    jobs: tuple[PeriodicJob, ...] = JOBS
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def name(self) -> str:
        return f"{self.host}:{self.pid}"[:150]

    def sweep(self, *, today: date | None = None) -> dict[str, str]:
        """Write the heartbeat and run every due job; return the summaries of the jobs that ran."""
        now = timezone.now()
        today = today or timezone.localdate(now)
        heartbeat(name=self.name, host=self.host, pid=self.pid, now=now)
        ran: dict[str, str] = {}
        for job in self.jobs:
            if self.stop.is_set():
                break
            try:
                result = job_run_if_due(job, today=today, now=now)
            except Exception:
                # One failing job must not stop the others or the worker; it is retried next sweep.
                logger.exception("periodic job %s failed", job.name)
                continue
            if result is not None:
                logger.info("periodic job %s ran for %s: %s", job.name, today, result)
                ran[job.name] = result
        return ran

    def run_forever(self) -> None:
        logger.info("worker %s started, sweeping every %ss", self.name, self.interval)
        while not self.stop.is_set():
            close_old_connections()  # as a request would: drop a broken or too old connection
            self.sweep()
            self.stop.wait(self.interval)
        close_old_connections()
        logger.info("worker %s stopped", self.name)
