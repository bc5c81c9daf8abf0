"""Raising and answering alerts: who hears, what the record keeps, who may see and answer."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from care365.accounts.access import child_get_for_user
from care365.accounts.models import AccessLog, Role
from care365.accounts.tests.factories import UserFactory
from care365.core.errors import NotFound
from care365.core.ledger import chain_verify
from care365.protection import access, policy, selectors, services
from care365.protection.models import (
    Alert,
    AlertEvent,
    EscalationPolicy,
    FollowUpTask,
    InAppEvent,
    Kind,
    Notification,
    ResponderContact,
    State,
    Told,
)
from care365.protection.tests.conftest import another_child
from conftest import Personas


def raise_for_a(
    p: Personas, t0: datetime, *, kind: str = Kind.DANGER, by: str = "director_a"
) -> Alert:
    actor = getattr(p, by)
    child = child_get_for_user(actor, p.child_a.pk, "view")
    return services.alert_raise(
        actor=actor, child=child, kind=kind, note="crying at the gate", now=t0
    )


@pytest.mark.django_db
def test_raise_notifies_the_assigned_officer_at_once_in_app_sms_and_email(
    paired: Personas, t0: datetime
) -> None:
    alert = raise_for_a(paired, t0)

    assert alert.state == State.OPEN
    assert alert.level == 0
    assert alert.assigned_officer == paired.officer.carer
    assert alert.next_step_at == t0 + timedelta(seconds=60)
    rows = {n.channel: n for n in Notification.objects.filter(alert=alert)}
    assert set(rows) == {"in_app", "sms", "email"}
    assert rows["in_app"].recipient == paired.officer
    assert rows["in_app"].state == Notification.State.SENT  # delivered with the alert
    assert rows["sms"].address == "13700000001"
    assert rows["email"].address == "officer@police.example"
    assert rows["sms"].state == rows["email"].state == Notification.State.PENDING
    # The officer's stream has the alert; nothing in any payload names the child.
    event = InAppEvent.objects.get(user=paired.officer)
    assert (event.seq, event.kind, event.data["alert"]) == (1, "alert", alert.pk)
    for n in Notification.objects.filter(alert=alert):
        assert paired.child_a.name not in str(n.payload)
        assert n.payload["village"] == paired.village_a.name
    raised = AlertEvent.objects.get(alert=alert, kind="raised")
    assert (raised.level, raised.at, raised.actor) == (0, t0, paired.director_a)


@pytest.mark.django_db
def test_raise_refuses_an_unknown_kind_and_a_child_who_left(paired: Personas, t0: datetime) -> None:
    with pytest.raises(ValidationError):
        raise_for_a(paired, t0, kind="nonsense")
    child = paired.child_a
    child.exited_on, child.exit_reason = t0.date(), "moved_away"
    child.save()
    with pytest.raises(ValidationError):
        raise_for_a(paired, t0)
    assert not Alert.objects.exists()


@pytest.mark.django_db
def test_a_child_without_an_officer_reaches_the_officers_of_the_covering_station_at_once(
    personas: Personas, t0: datetime
) -> None:
    """No police pairing and nobody on a duty shift: the station that covers the village tells
    all its officers with an account, in the app, at once, and the raiser is told so."""
    alert = raise_for_a(personas, t0)

    assert alert.level == 1
    assert alert.next_step_at == t0 + timedelta(seconds=120)
    steps = list(
        AlertEvent.objects.filter(alert=alert, kind__in=["raised", "escalated"]).values_list(
            "level", "data__notifications"
        )
    )
    assert steps == [(0, 0), (1, 1)]  # the officer, in the app (no email or phone on file)
    in_app = Notification.objects.filter(alert=alert, channel="in_app")
    assert set(in_app.values_list("recipient__username", flat=True)) == {"police"}
    assert set(in_app.values_list("state", flat=True)) == {"sent"}
    station = personas.officer.carer.organisation  # type: ignore[union-attr]
    assert alert.told == Told(who=policy.STATION_DUTY_OFFICER, stations=(station.name,), officers=1)
    # The escalation continues as before: the supervisor and the director after the wait.
    assert services.escalation_sweep(now=t0 + timedelta(seconds=121)) == 1
    users = set(
        Notification.objects.filter(alert=alert, level=2).values_list(
            "recipient__username", flat=True
        )
    )
    assert users == {"supervisor", "director"}


@pytest.mark.django_db
def test_a_station_elsewhere_whose_officers_serve_the_village_covers_it(
    personas: Personas, t0: datetime
) -> None:
    """A station in another township covers the village its officers serve."""
    station = personas.officer.carer.organisation  # type: ignore[union-attr]
    station.area = personas.township_b
    station.save(update_fields=["area"])
    alert = raise_for_a(personas, t0)
    assert alert.level == 1
    assert alert.told is not None and alert.told.officers == 1
    assert Notification.objects.filter(alert=alert, recipient=personas.officer).exists()


@pytest.mark.django_db
def test_no_station_covers_the_village_so_the_county_desk_is_told_at_once(
    personas: Personas, t0: datetime
) -> None:
    """Nobody of the police can be reached: the county duty desk (which dispatches the police)
    hears at once, not the next people on the list two minutes later."""
    carer = personas.officer.carer
    assert carer is not None
    carer.service_areas.clear()
    station = carer.organisation
    station.area = personas.township_b
    station.save(update_fields=["area"])
    alert = raise_for_a(personas, t0)

    assert alert.level == policy.DEFAULT_POLICY.start_level(policy.COUNTY_DUTY_DESK)
    users = set(
        Notification.objects.filter(alert=alert, channel="in_app").values_list(
            "recipient__username", flat=True
        )
    )
    assert users == {"admin"}
    assert alert.told == Told(who=policy.COUNTY_DUTY_DESK)


@pytest.mark.django_db
def test_a_county_policy_that_tells_the_director_before_the_police_is_followed(
    paired: Personas, t0: datetime
) -> None:
    """The jump to the desk is only for an alert no police step can reach: a county that puts
    the supervisor and director before the officer keeps its order."""
    steps = [
        {"who": "township_supervisor_and_director", "wait_seconds": 30, "channels": ["in_app"]},
        {"who": "assigned_officer", "wait_seconds": 30, "channels": ["in_app"]},
        {"who": "county_duty_desk", "wait_seconds": 90, "channels": ["in_app"]},
    ]
    services.escalation_policy_update(
        actor=paired.admin, county=paired.county, steps=steps, repeat_seconds=600
    )
    alert = raise_for_a(paired, t0)
    assert alert.level == 0
    assert alert.told == Told(who=policy.TOWNSHIP_SUPERVISOR_AND_DIRECTOR)


@pytest.mark.django_db
def test_the_raiser_does_not_answer_their_own_open_alert(paired: Personas, t0: datetime) -> None:
    """Answering belongs to the responders: the director who raised the alert may not
    acknowledge, say "on my way" or resolve it while it is open (that would stop the
    escalation); once the officer acknowledged it, the director may say they are with the child."""
    alert = raise_for_a(paired, t0)
    assert access.can_respond(paired.director_a, alert)  # sees the safety card
    assert not access.can_answer(paired.director_a, alert)
    for answer in (services.alert_acknowledge, services.alert_on_the_way):
        with pytest.raises(PermissionDenied):
            answer(actor=paired.director_a, alert=alert, now=t0)
    with pytest.raises(PermissionDenied):
        services.alert_resolve(
            actor=paired.director_a, alert=alert, resolution="false_alarm", now=t0
        )
    alert.refresh_from_db()
    assert (alert.state, alert.acknowledged_at) == (State.OPEN, None)
    assert alert.next_step_at is not None

    services.alert_acknowledge(actor=paired.officer, alert=alert, now=t0 + timedelta(seconds=9))
    assert access.can_answer(paired.director_a, alert)
    services.alert_with_child(actor=paired.director_a, alert=alert, now=t0 + timedelta(seconds=30))
    assert alert.state == State.WITH_CHILD


@pytest.mark.django_db
def test_a_second_raise_for_the_child_folds_into_the_open_alert(
    paired: Personas, t0: datetime
) -> None:
    """Two raises a minute apart make one alert asked twice, with a "raised again" step that
    rings the responders once, not a second escalation."""
    first = raise_for_a(paired, t0)
    again = raise_for_a(paired, t0 + timedelta(seconds=60), by="supervisor_a")

    assert again.pk == first.pk and Alert.objects.count() == 1
    assert again.request_count == 2
    assert again.told == Told(again=2)
    (repeated,) = AlertEvent.objects.filter(alert=first, kind=AlertEvent.Kind.REPEATED)
    assert repeated.data["source"] == "web" and repeated.data["count"] == 1
    rings = InAppEvent.objects.filter(user=paired.officer, kind="alert_repeated")
    assert rings.count() == 1
    # A different kind, or once the first is resolved, is a new alert.
    other = raise_for_a(paired, t0 + timedelta(seconds=61), kind=Kind.INJURY)
    assert other.pk != first.pk
    services.alert_resolve(
        actor=paired.officer, alert=first, resolution="safe", now=t0 + timedelta(seconds=90)
    )
    assert raise_for_a(paired, t0 + timedelta(seconds=120)).pk not in (first.pk, other.pk)


@pytest.mark.django_db
def test_acknowledge_stops_the_escalation_and_a_second_acknowledge_conflicts(
    paired: Personas, t0: datetime
) -> None:
    alert = raise_for_a(paired, t0)
    services.alert_acknowledge(actor=paired.officer, alert=alert, now=t0 + timedelta(seconds=20))

    alert.refresh_from_db()
    assert alert.state == State.ACKNOWLEDGED
    assert alert.next_step_at is None
    assert alert.acknowledged_by == paired.officer
    assert services.escalation_sweep(now=t0 + timedelta(hours=1)) == 0
    with pytest.raises(services.AlertStateError):
        services.alert_acknowledge(actor=paired.admin, alert=alert, now=t0 + timedelta(seconds=21))
    # The officer's page and the director who raised it hear of the acknowledgement.
    update = InAppEvent.objects.get(user=paired.director_a)
    assert update.data == {"alert": alert.pk, "state": "acknowledged", "level": 0}


@pytest.mark.django_db
def test_the_whole_answer_is_timestamped_into_the_incident_record(
    paired: Personas, t0: datetime
) -> None:
    alert = raise_for_a(paired, t0)
    officer = paired.officer
    services.alert_on_the_way(actor=officer, alert=alert, now=t0 + timedelta(seconds=30))
    services.alert_with_child(actor=officer, alert=alert, now=t0 + timedelta(minutes=12))
    services.alert_resolve(
        actor=officer,
        alert=alert,
        resolution="safe",
        note="grandmother had fallen; neighbour stays",
        now=t0 + timedelta(minutes=40),
    )

    alert.refresh_from_db()
    assert alert.state == State.RESOLVED
    assert alert.acknowledged_at == t0 + timedelta(seconds=30)  # "on my way" acknowledged it
    assert alert.with_child_at == t0 + timedelta(minutes=12)
    assert alert.resolution == "safe"
    timeline = selectors.alert_timeline(paired.admin, alert)
    kinds = [(e.kind, e.at) for e in timeline.events if not e.kind.startswith("notification")]
    assert kinds == [
        ("raised", t0),
        ("on_the_way", t0 + timedelta(seconds=30)),
        ("with_child", t0 + timedelta(minutes=12)),
        ("resolved", t0 + timedelta(minutes=40)),
    ]
    with pytest.raises(services.AlertStateError):
        services.alert_acknowledge(actor=officer, alert=alert)
    with pytest.raises(ValidationError):
        services.alert_resolve(actor=officer, alert=alert, resolution="vanished")


@pytest.mark.django_db
def test_doctors_volunteers_and_strangers_cannot_answer_an_alert(
    paired: Personas, t0: datetime
) -> None:
    alert = raise_for_a(paired, t0)
    for who in ("doctor", "volunteer", "outsider", "director_b", "other_admin"):
        with pytest.raises(PermissionDenied):
            services.alert_acknowledge(actor=getattr(paired, who), alert=alert, now=t0)
    services.alert_acknowledge(actor=paired.supervisor_a, alert=alert, now=t0)


@pytest.mark.django_db
def test_a_mandatory_report_opens_follow_ups_and_hides_the_reporter(
    paired: Personas, t0: datetime
) -> None:
    alert = raise_for_a(paired, t0, kind=Kind.SUSPECTED_ABUSE, by="volunteer")

    tasks = FollowUpTask.objects.filter(alert=alert).order_by("role")
    assert [(t.role, t.assignee) for t in tasks] == [
        (Role.DIRECTOR, paired.director_a),
        (Role.SUPERVISOR, paired.supervisor_a),
    ]
    assert selectors.alert_reporter_for_user(paired.admin, alert) == paired.volunteer
    assert selectors.alert_reporter_for_user(paired.volunteer, alert) == paired.volunteer
    for who in ("officer", "director_a", "supervisor_a"):
        viewer = getattr(paired, who)
        assert access.alert_get_for_user(viewer, alert.pk) == alert
        assert selectors.alert_reporter_for_user(viewer, alert) is None
        raised = next(
            e for e in selectors.alert_timeline(viewer, alert).events if e.kind == "raised"
        )
        assert raised.actor is None
    admin_raised = next(
        e for e in selectors.alert_timeline(paired.admin, alert).events if e.kind == "raised"
    )
    assert admin_raised.actor == paired.volunteer
    # The director closes their task; the supervisor's stays open.
    mine = selectors.follow_ups_for_user(paired.director_a).get()
    services.follow_up_done(actor=paired.director_a, task=mine, note="visited", now=t0)
    assert not selectors.follow_ups_for_user(paired.director_a).exists()
    assert selectors.follow_ups_for_user(paired.admin).count() == 1
    with pytest.raises(PermissionDenied):
        services.follow_up_done(actor=paired.director_b, task=tasks[1], now=t0)


@pytest.mark.django_db
def test_a_general_alert_shows_its_reporter_to_those_who_see_it(
    paired: Personas, t0: datetime
) -> None:
    alert = raise_for_a(paired, t0)
    assert selectors.alert_reporter_for_user(paired.officer, alert) == paired.director_a
    assert not FollowUpTask.objects.exists()


@pytest.mark.django_db
def test_who_sees_which_alerts(paired: Personas, t0: datetime) -> None:
    alert_a = raise_for_a(paired, t0)
    child_b = child_get_for_user(paired.director_b, paired.child_b.pk, "view")
    alert_b = services.alert_raise(actor=paired.director_b, child=child_b, kind=Kind.INJURY, now=t0)

    def board(who: str) -> set[int]:
        return set(
            selectors.alerts_open_for_user(getattr(paired, who)).values_list("pk", flat=True)
        )

    assert board("admin") == {alert_a.pk, alert_b.pk}
    assert board("director_a") == {alert_a.pk}
    assert board("director_b") == {alert_b.pk}
    assert board("supervisor_a") == {alert_a.pk}
    assert board("officer") == {alert_a.pk}
    assert (
        board("doctor") == board("volunteer") == board("outsider") == board("other_admin") == set()
    )
    assert set(
        selectors.alerts_open_for_user(paired.admin, area=paired.township_b).values_list(
            "pk", flat=True
        )
    ) == {alert_b.pk}
    with pytest.raises(NotFound):
        access.alert_get_for_user(paired.director_b, alert_a.pk)
    with pytest.raises(NotFound):
        access.alert_get_for_user(paired.officer, "not-a-number")
    # Reading an alert is reading the child's record: logged.
    before = AccessLog.objects.filter(user=paired.officer, child=paired.child_a).count()
    access.alert_get_for_user(paired.officer, alert_a.pk)
    assert AccessLog.objects.filter(user=paired.officer, child=paired.child_a).count() == before + 1
    assert chain_verify(AccessLog)[1] is None  # the entry joined the access log's hash chain


@pytest.mark.django_db
def test_a_duty_officer_who_was_sent_the_alert_sees_and_may_answer_it(
    paired: Personas, t0: datetime
) -> None:
    from care365.carers.tests.factories import CarerFactory
    from care365.protection.models import DutyShift

    station = paired.officer.carer.organisation  # type: ignore[union-attr]
    duty = CarerFactory.create(role="police", organisation=station, phone="13700000002")
    duty_user = UserFactory.create(role=Role.POLICE, carer=duty, username="duty")
    DutyShift.objects.create(
        station=station,
        officer=duty,
        starts_at=t0 - timedelta(hours=1),
        ends_at=t0 + timedelta(hours=8),
    )
    alert = raise_for_a(paired, t0)
    assert selectors.alerts_open_for_user(duty_user).count() == 0

    assert services.escalation_sweep(now=t0 + timedelta(seconds=60)) == 1

    assert list(selectors.alerts_open_for_user(duty_user)) == [alert]
    assert access.can_respond(duty_user, alert)
    services.alert_acknowledge(actor=duty_user, alert=alert, now=t0 + timedelta(seconds=70))


@pytest.mark.django_db
def test_safety_card_has_village_address_family_phones_and_team(
    paired: Personas, t0: datetime
) -> None:
    alert = access.alert_get_for_user(paired.officer, raise_for_a(paired, t0).pk)
    card = selectors.safety_card(alert)

    assert card.child_name == paired.child_a.name
    assert (card.village, card.township) == (paired.village_a.name, paired.township_a.name)
    assert card.address == paired.child_a.address
    assert card.guardian is not None and card.guardian.phone == "13900000000"
    assert [p.phone for p in card.parents] == ["13800000000", "13800000000"]
    assert [(m.role, m.carer) for m in card.team] == [
        ("police", paired.officer.carer),
        ("doctor", paired.doctor.carer),
        ("volunteer", paired.volunteer.carer),
    ]


@pytest.mark.django_db
def test_response_times_median_and_p90_per_township_and_officer(
    paired: Personas, t0: datetime
) -> None:
    acks = [10, 20, 30, 40, 100]
    for i, seconds in enumerate(acks):
        at = t0 + timedelta(hours=i)
        alert = raise_for_a(paired, at)
        services.alert_acknowledge(
            actor=paired.officer, alert=alert, now=at + timedelta(seconds=seconds)
        )
        services.alert_with_child(
            actor=paired.officer, alert=alert, now=at + timedelta(seconds=600)
        )
        if i < 2:
            services.alert_resolve(
                actor=paired.officer,
                alert=alert,
                resolution="safe",
                now=at + timedelta(seconds=900),
            )
    child_b = child_get_for_user(paired.director_b, paired.child_b.pk, "view")
    services.alert_raise(actor=paired.director_b, child=child_b, kind=Kind.OTHER, now=t0)

    times = selectors.response_times(paired.county)

    assert times.overall.count == 6
    assert times.overall.acknowledge_median == 30
    assert times.overall.acknowledge_p90 == pytest.approx(76.0)  # 40 + 0.6 * (100 - 40)
    assert times.overall.reach_median == times.overall.reach_p90 == 600
    assert times.overall.resolve_median == 900
    by_township = {area.code: f for area, f in times.by_township}
    assert by_township[paired.township_a.code].count == 5
    assert by_township[paired.township_b.code].count == 1
    assert by_township[paired.township_b.code].acknowledge_median is None
    ((officer, figures),) = times.by_officer
    assert officer == paired.officer.carer and figures.count == 5
    assert selectors.response_times(paired.other_county).overall.count == 0


@pytest.mark.django_db
def test_events_since_resume_after_the_last_event_id(paired: Personas, t0: datetime) -> None:
    first = raise_for_a(paired, t0)
    child = another_child(paired)
    second = services.alert_raise(
        actor=paired.director_a, child=child, kind=Kind.DANGER, now=t0 + timedelta(seconds=5)
    )
    services.alert_acknowledge(actor=paired.officer, alert=first, now=t0 + timedelta(seconds=6))

    events = selectors.events_for_user_since(paired.officer, 0)
    assert [(e.seq, e.kind, e.data["alert"]) for e in events] == [
        (1, "alert", first.pk),
        (2, "alert", second.pk),
        (3, "alert_update", first.pk),
    ]
    assert [e.seq for e in selectors.events_for_user_since(paired.officer, 2)] == [3]
    assert selectors.events_last_id(paired.officer) == 3
    assert selectors.events_for_user_since(paired.outsider, 0) == []


@pytest.mark.django_db
def test_county_admin_edits_the_policy_and_new_alerts_follow_it(
    paired: Personas, t0: datetime
) -> None:
    steps = [
        {"who": "assigned_officer", "wait_seconds": 30, "channels": ["in_app"]},
        {"who": "county_duty_desk", "wait_seconds": 90, "channels": ["in_app", "sms"]},
    ]
    with pytest.raises(PermissionDenied):
        services.escalation_policy_update(
            actor=paired.director_a, county=paired.county, steps=steps, repeat_seconds=600
        )
    with pytest.raises(ValidationError):
        services.escalation_policy_update(
            actor=paired.admin, county=paired.county, steps=[{"who": "mayor"}], repeat_seconds=600
        )
    services.escalation_policy_update(
        actor=paired.admin,
        county=paired.county,
        steps=steps,
        repeat_seconds=600,
        desk_phone="+86 137-0000-0009",
        desk_users=[paired.admin],
    )
    view = selectors.escalation_policy_get(paired.county)
    assert (view.saved, view.desk_phone, view.desk_users) == (True, "13700000009", [paired.admin])
    assert view.steps == steps and view.repeat_seconds == 600
    assert (
        selectors.escalation_policy_get(paired.other_county).steps
        == policy.to_dict(policy.DEFAULT_POLICY)["steps"]
    )

    alert = raise_for_a(paired, t0)
    assert alert.next_step_at == t0 + timedelta(seconds=30)
    assert list(Notification.objects.filter(alert=alert).values_list("channel", flat=True)) == [
        "in_app"
    ]
    services.escalation_sweep(now=t0 + timedelta(seconds=30))
    desk = Notification.objects.filter(alert=alert, level=1)
    assert sorted((n.channel, n.recipient_id, n.address) for n in desk) == [
        ("in_app", paired.admin.pk, ""),
        ("sms", None, "13700000009"),
    ]
    alert.refresh_from_db()
    assert alert.next_step_at == t0 + timedelta(seconds=120)
    # Editing the policy later does not change an alert under way.
    EscalationPolicy.objects.filter(county=paired.county).update(repeat_seconds=60)
    services.escalation_sweep(now=t0 + timedelta(seconds=120))
    alert.refresh_from_db()
    assert alert.next_step_at == t0 + timedelta(seconds=720)


@pytest.mark.django_db
def test_supervisor_and_director_get_sms_on_their_responder_contact(
    paired: Personas, t0: datetime
) -> None:
    services.responder_contact_set(
        actor=paired.director_a, user=paired.director_a, phone="13600000001"
    )
    with pytest.raises(PermissionDenied):
        services.responder_contact_set(actor=paired.director_b, user=paired.director_a, phone="1")
    assert ResponderContact.objects.get(user=paired.director_a).phone == "13600000001"
    alert = raise_for_a(paired, t0)
    services.escalation_sweep(now=t0 + timedelta(seconds=60))  # the station: nobody on duty
    services.escalation_sweep(now=t0 + timedelta(seconds=180))
    sms = Notification.objects.filter(alert=alert, level=2, channel="sms")
    assert [(n.recipient, n.address) for n in sms] == [(paired.director_a, "13600000001")]
    assert policy.DEFAULT_POLICY.steps[2].who == "township_supervisor_and_director"


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_officers_stream_is_woken_at_commit(paired: Personas) -> None:
    """The event stream of an open page LISTENs on `care365_events`; raising an alert NOTIFYs
    the officer's id when its transaction commits."""
    if connection.vendor != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; on SQLite the stream polls the events table")
    import psycopg

    db = connection.settings_dict
    listener = psycopg.connect(
        host=db["HOST"],
        port=db["PORT"],
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
        autocommit=True,
    )
    try:
        listener.execute(f"LISTEN {services.PG_NOTIFY_CHANNEL}")
        alert = raise_for_a(paired, timezone.now())
        received = [n.payload for n in listener.notifies(timeout=5, stop_after=1)]
    finally:
        listener.close()
    assert received == [str(paired.officer.pk)]
    event = selectors.events_for_user_since(paired.officer, 0)[0]
    assert event.data["alert"] == alert.pk


@pytest.mark.django_db
def test_reading_children_through_alerts_counts_towards_unusual_access(
    personas: Personas, settings: Any
) -> None:
    """An alert's page is a read of its child: opening children alert by alert, then their
    pages, must still tell the county's administrators when the count reaches the threshold."""
    from care365.core.models import Notice

    settings.UNUSUAL_ACCESS_PER_HOUR = 2
    admin = personas.admin
    director = personas.director_b
    alert = services.alert_raise(
        actor=director,
        child=child_get_for_user(director, personas.child_b.pk, "view"),
        kind="danger",
    )
    child_get_for_user(admin, personas.child_a.pk, "view")
    assert not Notice.objects.filter(kind="unusual_access").exists()
    access.alert_get_for_user(admin, alert.pk)  # the alert's page opens child B: the second
    assert Notice.objects.filter(kind="unusual_access").count() == 1
    child_get_for_user(admin, personas.child_b.pk, "view")  # B again: no second notice
    assert Notice.objects.filter(kind="unusual_access").count() == 1
