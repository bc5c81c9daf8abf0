"""Fault test: `care365 worker` processes are killed with SIGKILL during a storm of alerts.

Three workers sweep (and a killed one is replaced) while alerts keep coming, in three waves; two
workers are killed with `kill -9`, each once the workers are firing the steps of a wave. The
storm runs on a clock of its own: each wave is raised as if 10 seconds ago (`alert_raise(now=)`),
so every step up to the county desk is due at once, whatever the machine's speed. Afterwards
every alert's steps are 0, 1, 2, ... each exactly once with no gap, every step due before the
end fired, and every SMS and email reached its receiver once (the receivers recognise a resend by
its idempotency key, as a real gateway does; resends happen only for the messages a killed worker
was sending). Runs on SQLite and on PostgreSQL.

How fast the workers keep up with alerts raised at a rate (step lateness, alerts per second) is a
benchmark's question: `bench/alerts.py --fault` runs this storm at 15 alerts a second.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone

from care365.carers.tests.factories import CarerFactory
from care365.core.models import WorkerHeartbeat
from care365.protection import services
from care365.protection.models import (
    Alert,
    AlertEvent,
    DutyShift,
    InAppEvent,
    Kind,
    Notification,
    State,
)
from care365.protection.services.outbox import BATCH as OUTBOX_BATCH
from care365.protection.tests.conftest import GATEWAY_SECRET, Gateway, SmtpServer, another_child
from conftest import Personas

ROOT = Path(__file__).resolve().parents[3]
ALERTS = 45
WAVES = 3
# Each wave is raised this long ago: the officer's step, the duty officer's, the supervisor's
# and the desk's are due at once (1 + 1 + 1 s), and the desk's missed repeats are skipped.
RAISED_AGO = timedelta(seconds=10)


def database_url() -> str:
    """The URL of the database this test runs on, for the worker processes."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{quote(db['USER'])}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "care365.cli", "worker", "--interval", "0.05"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.django_db(transaction=True)
def test_workers_killed_mid_storm_lose_no_step_and_double_no_notification(
    paired: Personas, gateway: Gateway, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    p = paired
    station = p.officer.carer.organisation  # type: ignore[union-attr]
    duty = CarerFactory.create(role="police", organisation=station, phone="13700000002")
    now = timezone.now()
    DutyShift.objects.create(
        station=station,
        officer=duty,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )
    services.escalation_policy_update(
        actor=p.admin,
        county=p.county,
        steps=[
            {"who": "assigned_officer", "wait_seconds": 1, "channels": ["in_app", "sms", "email"]},
            {"who": "station_duty_officer", "wait_seconds": 1, "channels": ["sms"]},
            {"who": "township_supervisor_and_director", "wait_seconds": 1, "channels": ["in_app"]},
            {"who": "county_duty_desk", "wait_seconds": 2, "channels": ["in_app", "sms"]},
        ],
        repeat_seconds=2,
        desk_phone="13700000009",
    )
    env = dict(
        os.environ,
        CARE365_DEMO="1",
        DATABASE_URL=database_url(),
        CARE365_SMS_GATEWAY_URL=gateway.url,
        CARE365_SMS_GATEWAY_SECRET=GATEWAY_SECRET,
        CARE365_EMAIL_HOST=smtp_server.host,
        CARE365_EMAIL_PORT=str(smtp_server.port),
        CARE365_SWEEP_INTERVAL_MS="50",
        CARE365_LOG_LEVEL="WARNING",
        CARE365_AUDIT_CHECKPOINT_FILE=str(tmp_path / "checkpoints.jsonl"),
    )
    workers = [start_worker(env) for _ in range(3)]
    killed: list[subprocess.Popen[bytes]] = []
    # One child per alert: a second alert for a child with an open one is folded into it.
    children = [another_child(p) for _ in range(ALERTS)]
    try:
        # Start the storm once the three workers sweep (a worker starts in a second or two).
        up_by = time.monotonic() + 30
        while WorkerHeartbeat.objects.count() < len(workers) and time.monotonic() < up_by:
            time.sleep(0.05)
        assert WorkerHeartbeat.objects.count() == len(workers), "the workers did not start"
        per_wave = ALERTS // WAVES
        for wave in range(WAVES):
            fired_before = AlertEvent.objects.filter(kind="escalated").count()
            raised_at = timezone.now() - RAISED_AGO
            for child in children[wave * per_wave : (wave + 1) * per_wave]:
                services.alert_raise(
                    actor=p.director_a, child=child, kind=Kind.DANGER, now=raised_at
                )
            if wave == WAVES - 1:
                break
            # kill -9 a worker once the workers are firing this wave's steps; start a fresh one.
            busy_by = time.monotonic() + 30
            while (
                AlertEvent.objects.filter(kind="escalated").count() == fired_before
                and time.monotonic() < busy_by
            ):
                time.sleep(0.01)
            victim = workers.pop(0)
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=10)
            killed.append(victim)
            workers.append(start_worker(env))

        # Let the workers catch up: every alert at the desk's step or past it, no deadline
        # overdue, and every worker running (a fresh one stops on SIGTERM once it sweeps).
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            behind = Alert.objects.filter(
                state=State.OPEN, next_step_at__lt=timezone.now() - timedelta(seconds=0.5)
            ).count()
            short = Alert.objects.filter(level__lt=3).count()
            running = WorkerHeartbeat.objects.filter(pid__in=[w.pid for w in workers]).count()
            if behind == 0 and short == 0 and running == len(workers):
                break
            time.sleep(0.1)
        for alert in Alert.objects.filter(state=State.OPEN):
            services.alert_acknowledge(actor=p.admin, alert=alert)
        time.sleep(0.5)  # the outbox threads send what the last steps queued
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
    assert all(w.returncode == 0 for w in workers), [w.returncode for w in workers]
    assert [k.returncode for k in killed] == [-signal.SIGKILL] * 2

    # Messages a killed worker was sending are taken over once their lease runs out.
    services.outbox_send(now=timezone.now() + timedelta(seconds=31))

    alerts = list(Alert.objects.all())
    assert len(alerts) == ALERTS
    steps = Counter(
        AlertEvent.objects.filter(kind__in=["raised", "escalated"]).values_list("alert_id", "level")
    )
    assert set(steps.values()) == {1}, "a step fired twice"
    for alert in alerts:
        levels = sorted(
            lvl for (alert_id, lvl) in steps if alert_id == alert.pk and lvl is not None
        )
        assert levels == list(range(alert.level + 1)), f"alert {alert.pk}: steps {levels}"
        assert alert.level >= 3, f"alert {alert.pk} stopped at level {alert.level}"
    for event in AlertEvent.objects.filter(kind="escalated"):
        assert event.due_at is not None and event.at >= event.due_at

    notifications = Notification.objects.all()
    assert not notifications.exclude(state=Notification.State.SENT).exists()
    sms_keys = set(notifications.filter(channel="sms").values_list("idempotency_key", flat=True))
    assert set(gateway.delivered) == sms_keys  # each SMS reached the gateway, once per key
    # The outbox's emails: the alerts' and the daily care digest's (the workers' daily jobs
    # queue it there); the audit checkpoint's email does not go through the outbox.
    mail_ids = Counter(
        m["Message-ID"]
        for m in smtp_server.mailbox.messages
        if str(m["Message-ID"]).startswith(("<alert-", "<care-digest-"))
    )
    email_keys = set(
        notifications.filter(channel="email").values_list("idempotency_key", flat=True)
    )
    assert set(mail_ids) == {f"<{k}@care365>" for k in email_keys}
    resent = gateway.duplicates + sum(n - 1 for n in mail_ids.values())
    # A killed worker had at most one batch of the outbox in hand.
    assert resent <= len(killed) * OUTBOX_BATCH, "only messages a killed worker had may go again"
    in_app = notifications.filter(channel="in_app").count()
    assert InAppEvent.objects.filter(notification__isnull=False).count() == in_app
    print(  # the figures of the run, shown with pytest -s
        f"\n{connection.vendor}: {len(alerts)} alerts, {sum(steps.values())} steps, "
        f"{notifications.count()} notifications, 2 workers killed, steps doubled 0, "
        f"resent after a kill {resent} (dropped by idempotency key)"
    )
