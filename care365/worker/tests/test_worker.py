"""The worker: periodic jobs run once per day however many sweeps or workers, and catch up."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from care365.accounts import jobs as accounts_jobs
from care365.accounts.access import child_get_for_user
from care365.care import jobs as care_jobs
from care365.carers.models import CarerRole
from care365.core import jobs as core_jobs
from care365.core.models import PeriodicJobRun, WorkerHeartbeat
from care365.insights import jobs as insights_jobs
from care365.network import jobs as network_jobs
from care365.pairing.models import Pairing
from care365.protection import services as protection
from care365.protection.models import Notification
from care365.protection.selectors import sweeper_healthy
from care365.registry import jobs as registry_jobs
from care365.registry.models import ChildStatus, StatusEndReason, StatusKind
from care365.registry.tests.factories import LeftBehindChildFactory
from care365.worker.loop import JOBS, PeriodicJob, Worker, job_run_if_due
from conftest import Personas

ROOT = Path(__file__).resolve().parents[3]


def child_database_url() -> str:
    """The URL of the database this test runs on, for a child process to use."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{quote(db['USER'])}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def years_ago(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def left_behind_status(birth_date: date) -> ChildStatus:
    child = LeftBehindChildFactory.create(birth_date=birth_date)
    return child.statuses.get(kind=StatusKind.LEFT_BEHIND)


def test_the_worker_runs_every_apps_jobs_in_order_under_their_names() -> None:
    """Each app declares its jobs in its jobs.py; the names are the PeriodicJobRun rows'."""
    assert (
        *registry_jobs.JOBS,
        *care_jobs.JOBS,
        *network_jobs.JOBS,
        *insights_jobs.JOBS,
        *accounts_jobs.JOBS,
        *core_jobs.JOBS,
    ) == JOBS
    assert [job.name for job in JOBS] == [
        "statuses_age_out",
        "retention",
        "risk_recompute",  # before the digest, whose due dates it tightens
        "plan_due_rebuild",  # the stored next-due dates, before the digest reads them
        "care_digest",
        "referrals_overdue_remind",
        "conference_actions_overdue_remind",
        "attendance_concerns_check",
        "insights_refresh_all",  # after the risk list, which tightens the due dates it counts
        "audit_checkpoint",
        "db_analyze",
    ]


@pytest.mark.django_db
def test_worker_once_ages_out_a_child_who_turned_16_and_records_the_run() -> None:
    today = timezone.localdate()
    turned_16 = left_behind_status(years_ago(today, 16))
    still_15 = left_behind_status(years_ago(today, 16) + timedelta(days=1))

    call_command("worker", "--once", stdout=open(os.devnull, "w"))  # noqa: SIM115  # closed at exit

    turned_16.refresh_from_db()
    still_15.refresh_from_db()
    assert turned_16.ended_on == today
    assert turned_16.end_reason == StatusEndReason.AGED_OUT
    assert still_15.ended_on is None
    run = PeriodicJobRun.objects.get(name="statuses_age_out")
    assert run.last_run_on == today
    assert run.runs == 1
    assert run.last_result == "1 statuses ended"
    beat = WorkerHeartbeat.objects.get()
    assert beat.pid == os.getpid()
    assert beat.sweeps == 1


@pytest.mark.django_db
def test_two_sweeps_the_same_day_run_the_job_once_and_the_next_day_catches_up() -> None:
    today = timezone.localdate()
    call_command("worker", "--once", stdout=open(os.devnull, "w"))  # noqa: SIM115  # closed at exit
    first = PeriodicJobRun.objects.get(name="statuses_age_out")
    # A child who reached 16 after the day's run: the same day's second sweep leaves it alone...
    late = left_behind_status(years_ago(today, 16))

    call_command("worker", "--once", stdout=open(os.devnull, "w"))  # noqa: SIM115  # closed at exit

    again = PeriodicJobRun.objects.get(name="statuses_age_out")
    assert (again.runs, again.last_run_at) == (1, first.last_run_at)
    late.refresh_from_db()
    assert late.ended_on is None
    assert WorkerHeartbeat.objects.get().sweeps == 2

    # ... and the next day's sweep catches it up, ending it on the birthday itself.
    ran = Worker().sweep(today=today + timedelta(days=2))
    ran.pop("rollups", None)  # the insights' catch-up, which has nothing to do with this test
    assert ran.pop("insights_refresh_all").startswith("1 villages")
    assert ran == {
        "statuses_age_out": "1 statuses ended",
        "retention": "0 children anonymised",
        "risk_recompute": "1 children scored, 0 on the risk list",
        "plan_due_rebuild": "1 children's plans rewritten, 4 planned items",
        "care_digest": "0 users reminded, 0 by email",
        "referrals_overdue_remind": "0 overdue referrals reminded",
        "conference_actions_overdue_remind": "0 overdue conference actions reminded",
        "attendance_concerns_check": "0 attendance concerns opened",
        "audit_checkpoint": (
            "checkpointed audit at 0, access at 0, id_lookup at 0, list_export at 0; "
            "0 administrators told"
        ),
        "db_analyze": f"{connection.vendor} statistics refreshed",
    }
    late.refresh_from_db()
    assert late.ended_on == today
    assert PeriodicJobRun.objects.get(name="statuses_age_out").runs == 2


@pytest.mark.django_db
def test_a_job_that_fails_gives_its_claim_back_and_runs_on_the_next_sweep() -> None:
    today = timezone.localdate()
    job = JOBS[0]
    calls: list[date] = []

    def failing(day: date) -> str:
        calls.append(day)
        raise RuntimeError("database went away")

    broken = type(job)(name=job.name, run=failing)
    ran = Worker(jobs=(broken,)).sweep(today=today)
    ran.pop("rollups", None)  # the insights' catch-up runs whatever the jobs
    assert ran == {}
    assert calls == [today]
    assert PeriodicJobRun.objects.get(name=job.name).last_run_on is None
    assert job_run_if_due(job, today=today, now=timezone.now()) == "0 statuses ended"
    assert job_run_if_due(job, today=today, now=timezone.now()) is None


@pytest.mark.django_db(transaction=True)
def test_worker_process_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    env = dict(
        os.environ,
        CARE365_DEMO="1",
        DATABASE_URL=child_database_url(),
        CARE365_AUDIT_CHECKPOINT_FILE=str(tmp_path / "checkpoints.jsonl"),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "care365.cli", "worker", "--interval", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while not WorkerHeartbeat.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert WorkerHeartbeat.objects.filter(pid=proc.pid).exists()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert PeriodicJobRun.objects.get(name="statuses_age_out").runs == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_run_a_days_job_once() -> None:
    """Two workers reach the same due job together: one runs it, the other moves on."""
    today = timezone.localdate()
    ran: list[str] = []
    barrier = threading.Barrier(2)

    def slow(day: date) -> str:
        ran.append(threading.current_thread().name)
        time.sleep(0.5)  # long enough for the other worker to try meanwhile
        return "done"

    job = PeriodicJob(name="slow_job", run=slow)
    PeriodicJobRun.objects.create(name=job.name)
    results: dict[str, str | None] = {}

    def worker(name: str) -> None:
        try:
            barrier.wait()
            results[name] = job_run_if_due(job, today=today, now=timezone.now())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,), name=n) for n in ("w1", "w2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(ran) == 1
    assert len(results) == 2 and set(results.values()) == {"done", None}
    assert PeriodicJobRun.objects.get(name=job.name).runs == 1


@pytest.mark.django_db
def test_worker_sweep_fires_due_escalation_steps_and_sends_the_outbox(
    personas: Personas, settings: Any
) -> None:
    """One sweep: the heartbeat, the escalation step that came due and its notifications (the
    SMS gateway is not configured here, so the SMS fails visibly instead of being lost)."""
    settings.SMS_GATEWAY_URL = ""
    carer = personas.officer.carer
    assert carer is not None
    carer.phone = "13700000001"
    carer.save()
    Pairing.objects.create(
        child=personas.child_a, role=CarerRole.POLICE, carer=carer, since=date(2026, 1, 1)
    )
    child = child_get_for_user(personas.director_a, personas.child_a.pk, "view")
    alert = protection.alert_raise(
        actor=personas.director_a,
        child=child,
        kind="danger",
        now=timezone.now() - timedelta(seconds=61),
    )

    out = io.StringIO()
    call_command("worker", "--once", stdout=out)

    alert.refresh_from_db()
    # Nobody is on a duty shift: the station step reaches the station's officers with an
    # account (here the same officer, again).
    assert alert.level == 1
    assert "escalation: 1 steps fired" in out.getvalue()
    assert "outbox: 0 sent, 0 to retry, 2 failed" in out.getvalue()
    assert Notification.objects.filter(alert=alert, level=1, recipient=personas.officer).exists()
    assert set(
        Notification.objects.filter(alert=alert, channel="sms").values_list("state", flat=True)
    ) == {"failed"}
    assert WorkerHeartbeat.objects.get().sweeps == 1
    assert sweeper_healthy()


@pytest.mark.django_db
def test_worker_looks_at_the_daily_jobs_every_interval_but_sweeps_more_often() -> None:
    worker = Worker(interval=60, sweep_interval=0.5)
    assert worker.pause == 0.5
    assert worker.sweep() == {
        "statuses_age_out": "0 statuses ended",
        "retention": "0 children anonymised",
        "risk_recompute": "0 children scored, 0 on the risk list",
        "plan_due_rebuild": "0 children's plans rewritten, 0 planned items",
        "care_digest": "0 users reminded, 0 by email",
        "referrals_overdue_remind": "0 overdue referrals reminded",
        "conference_actions_overdue_remind": "0 overdue conference actions reminded",
        "attendance_concerns_check": "0 attendance concerns opened",
        "rollups": "rebuilt",  # the first catch-up finds no roll-ups yet and builds them
        "insights_refresh_all": "0 villages, 0 figures changed",
        "audit_checkpoint": (
            "checkpointed audit at 0, access at 0, id_lookup at 0, list_export at 0; "
            "0 administrators told"
        ),
        "db_analyze": f"{connection.vendor} statistics refreshed",
    }
    runs = PeriodicJobRun.objects.get(name="statuses_age_out").runs
    worker.sweep(
        today=timezone.localdate() + timedelta(days=1)
    )  # within the interval: not looked at
    assert PeriodicJobRun.objects.get(name="statuses_age_out").runs == runs
    assert WorkerHeartbeat.objects.get().sweeps == 2
    assert Worker(interval=0.2, sweep_interval=1).pause == 0.2


@pytest.mark.django_db(transaction=True)
def test_a_job_runs_outside_its_claim_so_it_never_holds_one_long_transaction() -> None:
    """A daily job that ran inside its claim's transaction would hold SQLite's write lock (and
    PostgreSQL's row locks) for as long as it runs; a child's alert raised meanwhile would wait."""
    today = timezone.localdate()
    seen: list[tuple[bool, str]] = []

    def job_body(day: date) -> str:
        run = PeriodicJobRun.objects.get(name="looks_around")
        seen.append((connection.in_atomic_block, run.last_result))
        return "looked"

    job = PeriodicJob(name="looks_around", run=job_body)
    assert job_run_if_due(job, today=today, now=timezone.now()) == "looked"
    # Not in a transaction, and the claim was already committed (visible as running).
    assert seen == [(False, "running")]
    run = PeriodicJobRun.objects.get(name="looks_around")
    assert (run.last_run_on, run.last_result, run.runs) == (today, "looked", 1)


@pytest.mark.django_db
def test_a_claim_left_running_by_a_killed_worker_is_taken_over_after_its_lease() -> None:
    today = timezone.localdate()
    now = timezone.now()
    job = PeriodicJob(name="was_killed", run=lambda day: "finished")
    PeriodicJobRun.objects.create(
        name=job.name, last_run_on=today, last_run_at=now - timedelta(minutes=5),
        last_result="running", runs=1,
    )  # fmt: skip
    # Still within its lease: its worker may be running it.
    assert job_run_if_due(job, today=today, now=now) is None
    # Past the lease: its worker died; another finishes the day's run.
    later = now + timedelta(hours=3)
    assert job_run_if_due(job, today=today, now=later) == "finished"
    run = PeriodicJobRun.objects.get(name=job.name)
    assert (run.last_result, run.runs, run.last_run_at) == ("finished", 2, later)
    # A finished run is not taken over, however old.
    assert job_run_if_due(job, today=today, now=later + timedelta(hours=5)) is None


@pytest.mark.django_db
def test_the_thread_of_long_work_rewrites_a_countys_new_intervals(personas: Personas) -> None:
    from care365.care import services as care_services
    from care365.care.models import CareSettings, PlanDue, PlanKind

    care_services.care_settings_update(
        actor=personas.admin, county=personas.county, values={"safety_check_days": 60}
    )
    worker = Worker()
    assert personas.county.code in worker.rewrite_plans()
    assert worker.rewrite_plans() == ""  # done: nothing waits
    assert CareSettings.objects.get(county=personas.county).plans_stale_since is None
    rows = PlanDue.objects.filter(
        kind=PlanKind.SAFETY_CHECK, village__code__startswith=personas.county.code
    )
    assert set(rows.values_list("interval_days", flat=True)) == {60}
