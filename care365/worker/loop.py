"""The `care365 worker` loop: escalation, the notification outbox and the periodic jobs that any
number of worker processes share.

Like healthchecks' `sendalerts`, a worker is a plain loop: every sweep it writes its heartbeat,
fires the escalation steps that are due (care365.protection: each step exactly once however many
workers sweep) and sends the queued notifications, and every `interval` it runs each periodic job
that is due. A sweep comes every CARE365_SWEEP_INTERVAL_MS (1 s), sooner when an escalation
deadline is nearer; in `run_forever` the outbox has a thread of its own, so a slow mail server
never holds up an escalation. A job is due once per day. A worker claims the day's run with
a conditional update of the job's row (`last_run_on < today`) in a short transaction of its own,
so two workers never both run it the same day (PostgreSQL: the row is locked and a second worker
skips it; SQLite: write transactions are serialised). The job then runs outside that transaction,
in short transactions of its own: a daily job that held one transaction for minutes would hold
SQLite's only write lock, and a child's alert raised meanwhile would wait for it. A job that fails
gives its claim back and is tried again on the next sweep; a claim whose worker died mid-run
(still "running" after CLAIM_LEASE) is taken over. Every job is idempotent and works from what is
in the tables, so a day the workers missed is caught up by the next run.

The jobs are the apps' own: each app declares its periodic work in its `jobs.py` (`JOBS`, a tuple
of `care365.core.jobs.PeriodicJob`); this module only puts them in order and runs them.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from care365.accounts import jobs as accounts_jobs
from care365.care import jobs as care_jobs
from care365.care.services.plans import plans_rewrite_pending
from care365.core import jobs as core_jobs
from care365.core.jobs import PeriodicJob
from care365.core.models import PeriodicJobRun, WorkerHeartbeat
from care365.imports import jobs as imports_jobs
from care365.insights import jobs as insights_jobs
from care365.insights.reports import services as reports
from care365.network import jobs as network_jobs
from care365.protection import selectors as protection_selectors
from care365.protection import services as protection
from care365.registry import jobs as registry_jobs

logger = logging.getLogger("care365.worker")

# Every app's periodic jobs (its `jobs.py`), in the order they run. The order matters: the
# registry's age-outs and retention first, so the risk list and the digest see today's registry;
# within care, the risk list is recomputed before the digest, whose due dates it tightens; the
# insights' daily recount after both.
JOBS: tuple[PeriodicJob, ...] = (
    *registry_jobs.JOBS,
    *care_jobs.JOBS,
    *network_jobs.JOBS,
    *insights_jobs.JOBS,
    *accounts_jobs.JOBS,
    *core_jobs.JOBS,
)

__all__ = ["JOBS", "PeriodicJob", "Worker", "heartbeat", "job_run_if_due"]


# The result a claimed job shows until it ends; and how long such a claim holds before another
# worker may take it over (its worker was killed mid-run). Longer than any daily job runs.
RUNNING = "running"
CLAIM_LEASE = timedelta(hours=2)


def job_run_if_due(job: PeriodicJob, *, today: date, now: datetime) -> str | None:
    """Run `job` for `today` unless it already ran today (here or in another worker).

    Returns the job's summary, or None when it was not due or another worker holds it.
    """
    PeriodicJobRun.objects.get_or_create(name=job.name)
    due = (
        Q(last_run_on__isnull=True)
        | Q(last_run_on__lt=today)
        | Q(last_result=RUNNING, last_run_at__lt=now - CLAIM_LEASE)
    )
    with transaction.atomic():
        # skip_locked: a worker claiming this job right now holds the row; the others move on
        # instead of waiting. (SQLite has no row locks; its write transactions are serialised.)
        row = (
            PeriodicJobRun.objects.select_for_update(skip_locked=True)
            .filter(due, name=job.name)
            .first()
        )
        if row is None:
            return None
        before = (row.last_run_on, row.last_run_at, row.last_result)
        claimed = PeriodicJobRun.objects.filter(due, pk=row.pk).update(
            last_run_on=today, last_run_at=now, last_result=RUNNING, runs=F("runs") + 1
        )
        if claimed != 1:
            return None
    try:
        result = job.run(today)
    except BaseException:
        # Give the claim back (unless another worker has taken it over since), so that the
        # next sweep tries again.
        PeriodicJobRun.objects.filter(pk=row.pk, last_run_at=now, last_result=RUNNING).update(
            last_run_on=before[0], last_run_at=before[1], last_result=before[2], runs=F("runs") - 1
        )
        raise
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


def _sweep_interval() -> float:
    return float(settings.SWEEP_INTERVAL_SECONDS)


# The shortest pause between sweeps, and the outbox's pause after it has sent what was due:
# deadlines and messages that fall due meanwhile are then handled together, in batches, rather
# than one sweep each (a storm makes a deadline due every few milliseconds). A step fires at
# most this much later than it would at once; a due alert another worker holds is left to it.
MIN_PAUSE = 0.1
# How often a worker brings the insights' roll-ups up to date with what was written meanwhile
# (insights.services.rollups_catch_up): figures trail the writes by about this much.
ROLLUP_INTERVAL = 5.0


@dataclass
class Worker:
    """One worker process. `stop` ends the loop after the current sweep.

    `interval` is how often the periodic jobs are looked at; escalation and the outbox run every
    `sweep_interval` (never less often than `interval`).
    """

    interval: float = 60.0
    jobs: tuple[PeriodicJob, ...] = JOBS
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    stop: threading.Event = field(default_factory=threading.Event)
    sweep_interval: float = field(default_factory=_sweep_interval)
    outbox_in_thread: bool = False
    jobs_checked_at: float | None = None  # time.monotonic() of the last look at the jobs
    rollups_at: float | None = None  # time.monotonic() of the last roll-up catch-up

    @property
    def name(self) -> str:
        return f"{self.host}:{self.pid}"[:150]

    @property
    def pause(self) -> float:
        return max(min(self.sweep_interval, self.interval), MIN_PAUSE)

    def protect(self, now: datetime) -> dict[str, str]:
        """Fire due escalation steps and (unless the outbox has its own thread) send due
        notifications; summaries of what happened, if anything."""
        done: dict[str, str] = {}
        try:
            fired = protection.escalation_sweep(now=now)
        except Exception:
            # The deadlines stay in the table: the next sweep fires them.
            logger.exception("escalation sweep failed")
        else:
            if fired:
                done["escalation"] = f"{fired} steps fired"
        if not self.outbox_in_thread:
            result = self.send_outbox()
            if result:
                done["outbox"] = (
                    f"{result.sent} sent, {result.retrying} to retry, {result.failed} failed"
                )
        return done

    def send_outbox(self) -> protection.OutboxResult:
        try:
            return protection.outbox_send()
        except Exception:
            logger.exception("outbox run failed")  # the rows are still queued: next run
            return protection.OutboxResult()

    def sweep(self, *, today: date | None = None) -> dict[str, str]:
        """Fire due escalation steps, send due notifications, write the heartbeat and run every
        due job; return the summaries of what was done."""
        now = timezone.now()
        today = today or timezone.localdate(now)
        ran = self.protect(now)
        heartbeat(name=self.name, host=self.host, pid=self.pid, now=timezone.now())
        clock = time.monotonic()
        if self.jobs_checked_at is not None and clock - self.jobs_checked_at < self.interval:
            self.catch_up(today, ran)
            return ran
        self.jobs_checked_at = clock
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
        self.catch_up(today, ran)
        return ran

    def catch_up(self, today: date, ran: dict[str, str]) -> None:
        """Every ROLLUP_INTERVAL, bring the insights' roll-ups up to date (after the day's jobs,
        which come first)."""
        clock = time.monotonic()
        if self.stop.is_set() or (
            self.rollups_at is not None and clock - self.rollups_at < ROLLUP_INTERVAL
        ):
            return
        self.rollups_at = clock
        try:
            refreshed = insights_jobs.rollups_catch_up(today)
        except Exception:
            # The watermark has not moved: the next catch-up takes the same changes.
            logger.exception("roll-up catch-up failed")
            return
        if refreshed:
            ran["rollups"] = "rebuilt" if refreshed < 0 else f"{refreshed} villages refreshed"

    def next_pause(self) -> float:
        """Until the next sweep: the sweep interval, or less when a deadline is nearer."""
        try:
            due = protection_selectors.next_escalation_at()
        except Exception:
            logger.exception("cannot read the next deadline")
            return self.pause
        if due is None:
            return self.pause
        until = (due - timezone.now()).total_seconds()
        return min(self.pause, max(until, MIN_PAUSE))

    def outbox_loop(self) -> None:
        """The outbox thread: send, and when nothing was due, wait a sweep interval."""
        try:
            while not self.stop.is_set():
                close_old_connections()
                result = self.send_outbox()
                if not result:
                    self.stop.wait(self.pause)
                elif result.sent + result.retrying + result.failed < protection.OUTBOX_LIMIT:
                    self.stop.wait(MIN_PAUSE)  # all that was due is out; let more gather
        finally:
            connection.close()  # this thread's own connection

    def reports_loop(self) -> None:
        """The reports thread: build the reports waiting (each claimed by one worker), and when
        none is, wait a sweep interval. A report takes seconds to a minute, so it has a thread
        of its own: escalation never waits for one."""
        try:
            while not self.stop.is_set():
                close_old_connections()
                try:
                    built = reports.reports_build_pending(limit=1)
                except Exception:
                    logger.exception("report run failed")  # the report stays queued: next run
                    built = 0
                if not built:
                    self.stop.wait(self.pause)
        finally:
            connection.close()  # this thread's own connection

    def run_imports(self) -> int:
        """Run the imports waiting for a worker (docs/imports.md); how many ran."""
        try:
            return imports_jobs.imports_run_due(self.name)
        except Exception:
            logger.exception("import run failed")  # the record's lease runs out: next time
            return 0

    def rewrite_plans(self) -> str:
        """Rewrite the next-due dates of the counties whose intervals changed (docs/care.md)."""
        try:
            return plans_rewrite_pending(worker=self.name)
        except Exception:
            logger.exception("next-due rewrite failed")  # the county stays marked: next time
            return ""

    def imports_loop(self) -> None:
        """The thread of long work: an import, or a county's next-due dates rewritten after its
        intervals changed, may run for minutes, so they have a thread of their own and never
        hold up escalation or the outbox."""
        try:
            while not self.stop.is_set():
                close_old_connections()
                ran = self.run_imports()
                if self.rewrite_plans():
                    ran += 1
                if not ran:
                    self.stop.wait(self.pause)
        finally:
            connection.close()

    def say_started(self) -> None:
        """The worker's first lines: how often it works, and any channel it cannot send by (said
        once here rather than for every message)."""
        logger.info(
            "worker %s started: escalation and outbox every %ss, jobs every %ss",
            self.name,
            self.pause,
            self.interval,
        )
        for sentence in protection.channels_off():
            logger.warning("%s", sentence)

    def run_forever(self) -> None:
        self.say_started()
        self.outbox_in_thread = True
        outbox = threading.Thread(target=self.outbox_loop, name="outbox", daemon=True)
        outbox.start()
        builder = threading.Thread(target=self.reports_loop, name="reports", daemon=True)
        builder.start()
        imports = threading.Thread(target=self.imports_loop, name="imports", daemon=True)
        imports.start()
        try:
            while not self.stop.is_set():
                close_old_connections()  # as a request would: drop a broken or too old connection
                self.sweep()
                self.stop.wait(self.next_pause())
        finally:
            self.stop.set()
            outbox.join(timeout=30)
            builder.join(timeout=30)
            imports.join(timeout=30)
            self.outbox_in_thread = False
        close_old_connections()
        logger.info("worker %s stopped", self.name)
