"""The sweeper under a clock the test holds, and several sweepers racing on the same alerts."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from care365.accounts.access import child_get_for_user
from care365.carers.tests.factories import CarerFactory
from care365.core.models import WorkerHeartbeat
from care365.protection import services
from care365.protection.models import Alert, AlertEvent, DutyShift, Kind, Notification, State
from care365.protection.selectors import sweeper_healthy
from care365.protection.tests.conftest import another_child
from conftest import Personas


def raise_for_a(p: Personas, at: datetime) -> Alert:
    child = child_get_for_user(p.director_a, p.child_a.pk, "view")
    return services.alert_raise(actor=p.director_a, child=child, kind=Kind.DANGER, now=at)


def raise_for_another(p: Personas, at: datetime) -> Alert:
    """An alert for a new child of village A (paired with the officer)."""
    child = another_child(p)
    return services.alert_raise(actor=p.director_a, child=child, kind=Kind.DANGER, now=at)


def steps_of(alert: Alert) -> list[tuple[int | None, datetime, datetime | None, str]]:
    return [
        (e.level, e.at, e.due_at, e.data["who"])
        for e in AlertEvent.objects.filter(alert=alert, kind__in=["raised", "escalated"]).order_by(
            "level"
        )
    ]


def on_duty(p: Personas, t0: datetime) -> None:
    station = p.officer.carer.organisation  # type: ignore[union-attr]
    duty = CarerFactory.create(role="police", organisation=station, phone="13700000002")
    DutyShift.objects.create(
        station=station,
        officer=duty,
        starts_at=t0 - timedelta(hours=1),
        ends_at=t0 + timedelta(days=1),
    )


@pytest.mark.django_db
def test_unanswered_alert_climbs_the_policy_one_step_per_deadline(
    paired: Personas, t0: datetime
) -> None:
    on_duty(paired, t0)
    alert = raise_for_a(paired, t0)

    assert services.escalation_sweep(now=t0 + timedelta(seconds=59)) == 0
    for seconds in (60, 180, 360, 660, 960):
        assert services.escalation_sweep(now=t0 + timedelta(seconds=seconds)) == 1
        assert services.escalation_sweep(now=t0 + timedelta(seconds=seconds)) == 0  # once only

    alert.refresh_from_db()
    assert alert.level == 5 and alert.next_step_at == t0 + timedelta(seconds=1260)

    def s(seconds: int) -> datetime:
        return t0 + timedelta(seconds=seconds)

    assert steps_of(alert) == [
        (0, s(0), None, "assigned_officer"),
        (1, s(60), s(60), "station_duty_officer"),
        (2, s(180), s(180), "township_supervisor_and_director"),
        (3, s(360), s(360), "county_duty_desk"),
        (4, s(660), s(660), "county_duty_desk"),
        (5, s(960), s(960), "county_duty_desk"),
    ]
    # The duty officer was reached on the phone of their carer record (no account).
    assert Notification.objects.filter(alert=alert, level=1).get().address == "13700000002"
    assert Notification.objects.filter(alert=alert, level=5, recipient=paired.admin).exists()


@pytest.mark.django_db
def test_after_downtime_one_sweep_fires_every_overdue_step_once(
    paired: Personas, t0: datetime
) -> None:
    """The workers were down for an hour: the next sweep fires the duty officer's, the
    supervisor's and the desk's steps, each once and in order; the missed repeats of the desk's
    step collapse into that one, and the next repeat is back on the 300 s schedule."""
    on_duty(paired, t0)
    alert = raise_for_a(paired, t0)
    back = t0 + timedelta(hours=1)

    assert services.escalation_sweep(now=back) == 3

    alert.refresh_from_db()
    assert [(lvl, at, due) for lvl, at, due, _who in steps_of(alert)] == [
        (0, t0, None),
        (1, back, t0 + timedelta(seconds=60)),
        (2, back, t0 + timedelta(seconds=180)),
        (3, back, t0 + timedelta(seconds=360)),
    ]
    assert (
        AlertEvent.objects.get(alert=alert, level=3, kind="escalated").data["skipped_repeats"] == 10
    )
    assert alert.next_step_at == t0 + timedelta(seconds=3660)
    assert services.escalation_sweep(now=back) == 0


@pytest.mark.django_db
def test_a_storm_of_steps_costs_about_one_statement_per_alert(
    paired: Personas, t0: datetime
) -> None:
    """A sweep moves alerts in batches: their notifications, recorded steps and in-app events
    are written together and each recipient is looked up once, so a sweep of 40 alerts takes
    little more than a sweep of 10 (one conditional update per alert)."""
    on_duty(paired, t0)
    later = t0 + timedelta(seconds=10)
    few = [raise_for_another(paired, t0) for _ in range(10)]
    many = [raise_for_another(paired, later) for _ in range(40)]

    with CaptureQueriesContext(connection) as sweep_few:
        assert services.escalation_sweep(now=t0 + timedelta(seconds=60)) == len(few)
    with CaptureQueriesContext(connection) as sweep_many:
        assert services.escalation_sweep(now=later + timedelta(seconds=60)) == len(many)

    extra = len(sweep_many) - len(sweep_few)
    assert extra <= 35, f"{extra} more statements for 30 more alerts"
    steps = Counter(AlertEvent.objects.filter(kind="escalated").values_list("alert_id", "level"))
    assert steps == {(a.pk, 1): 1 for a in few + many}
    assert Notification.objects.filter(level=1).count() == len(few) + len(many)


@pytest.mark.django_db
def test_resolved_and_acknowledged_alerts_never_escalate(paired: Personas, t0: datetime) -> None:
    first, second = raise_for_a(paired, t0), raise_for_another(paired, t0)
    services.alert_resolve(actor=paired.officer, alert=first, resolution="false_alarm", now=t0)
    services.alert_acknowledge(actor=paired.officer, alert=second, now=t0)
    assert services.escalation_sweep(now=t0 + timedelta(days=1)) == 0
    assert AlertEvent.objects.filter(kind="escalated").count() == 0


def _race(n_workers: int, now: datetime) -> list[int]:
    """n workers sweep at once, each on its own connection; returns what each fired."""
    barrier = threading.Barrier(n_workers)
    fired: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            fired.append(services.escalation_sweep(now=now))
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(n_workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return fired


@pytest.mark.django_db(transaction=True)
def test_workers_racing_on_the_same_alerts_never_double_a_step(
    paired: Personas, t0: datetime
) -> None:
    on_duty(paired, t0)
    alerts = [raise_for_another(paired, t0 + timedelta(milliseconds=i)) for i in range(40)]

    first = _race(4, t0 + timedelta(seconds=61))
    second = _race(4, t0 + timedelta(seconds=181))

    assert sum(first) == sum(second) == len(alerts)
    steps = Counter(AlertEvent.objects.filter(kind="escalated").values_list("alert_id", "level"))
    assert set(steps.values()) == {1}
    assert set(steps) == {(a.pk, level) for a in alerts for level in (1, 2)}
    assert set(Alert.objects.values_list("level", flat=True)) == {2}
    assert set(Alert.objects.values_list("state", flat=True)) == {State.OPEN}
    # One notification per recipient and channel and step: level 1 is one SMS to the duty
    # officer's phone; level 2 the supervisor's and director's in-app messages.
    per_alert = Counter(Notification.objects.values_list("alert_id", "level"))
    assert {per_alert[(a.pk, 1)] for a in alerts} == {1}
    assert {per_alert[(a.pk, 2)] for a in alerts} == {2}


@pytest.mark.django_db
def test_sweeper_health_follows_the_heartbeat(t0: datetime) -> None:
    assert not sweeper_healthy(t0)
    WorkerHeartbeat.objects.create(name="w:1", host="w", pid=1, started_at=t0, last_seen=t0)
    assert sweeper_healthy(t0 + timedelta(seconds=30))
    assert not sweeper_healthy(t0 + timedelta(seconds=31))
