"""The alerts API: raise, follow and answer alerts, the county's escalation policy, the SMS
gateway's webhook, the health check, and the event stream (through the test client here; served
for real by uvicorn in test_event_stream.py)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from ninja import Schema

from care365.accounts.models import AccessLog
from care365.accounts.tests.api_client import Api
from care365.core.models import WorkerHeartbeat
from care365.protection import schemas as protection_schemas
from care365.protection.channels import sign
from care365.protection.models import Alert, AlertEvent, Channel, EscalationPolicy, Notification
from care365.protection.tests.conftest import HELP_NUMBER, help_number_set
from care365.registry.models import Guardian
from conftest import Personas

pytestmark = pytest.mark.django_db

WEBHOOK_SECRET = "webhook-test-secret"  # a test's shared secret
GUARDIAN_PHONE = "13612345678"


@pytest.fixture
def paired(paired_personas: Personas) -> Personas:
    """Child A has the officer, the doctor and (with the guardian's consent) the volunteer; the
    officer has a phone and an email; child A's entrusted carer has a phone of her own."""
    personas = paired_personas
    carer = personas.officer.carer
    assert carer is not None
    carer.phone = "13700000001"
    carer.save(update_fields=["phone"])
    personas.officer.email = "officer@police.example"
    personas.officer.save(update_fields=["email"])
    guardian = Guardian.objects.get(child=personas.child_a)
    guardian.phone = GUARDIAN_PHONE  # saved through the model: its keyed hash comes with it
    guardian.save()
    return personas


def act(api: Api, alert_id: int, action: str, user: Any, body: Any = None) -> Any:
    """An answer as curl sends it: an empty body unless there is a note."""
    headers = {"Accept-Language": "en", "Authorization": f"Bearer {api.token(user)}"}
    return api.client.post(
        f"/api/v1/alerts/{alert_id}/{action}",
        data=b"" if body is None else json.dumps(body).encode(),
        content_type="application/json",
        headers=headers,
    )


def raise_alert(api: Api, user: Any, child: Any, kind: str = "danger", note: str = "") -> Any:
    response = api.post("/alerts", user=user, body={"child": child.pk, "kind": kind, "note": note})
    assert response.status_code == 201, response.content
    return response.json()


# ---- raising and reading --------------------------------------------------------------------


def test_director_raises_an_alert_and_the_assigned_officer_has_it_at_once(
    api: Api, paired: Personas
) -> None:
    data = raise_alert(api, paired.director_a, paired.child_a, note="哭着在校门口")

    alert = Alert.objects.get(pk=data["id"])
    assert (alert.source, alert.raised_by, alert.child) == (
        "api",
        paired.director_a,
        paired.child_a,
    )
    assert (data["state"], data["level"], data["kind"], data["note"]) == (
        "open",
        0,
        "danger",
        "哭着在校门口",
    )
    assert data["child"] == paired.child_a.pk
    assert data["village"] == {"id": paired.village_a.pk, "name": paired.village_a.name}
    assert data["township"]["id"] == paired.township_a.pk
    assert data["raised_by"]["username"] == "director"
    assert data["assigned_officer"]["id"] == paired.officer.carer.pk  # type: ignore[union-attr]
    assert data["next_step_at"] is not None
    assert [e["kind"] for e in data["events"]] == ["raised", "notification_sent"]
    assert data["events"][0]["actor"]["username"] == "director"
    channels = {n["channel"]: n for n in data["notifications"]}
    assert set(channels) == {"in_app", "sms", "email"}
    assert channels["in_app"]["recipient"]["username"] == "police"
    assert channels["in_app"]["state"] == "sent"
    assert channels["sms"]["address"] == "137****0001"  # masked
    assert "officer@police.example" not in json.dumps(data)

    board = api.get("/alerts", user=paired.officer)
    assert board.status_code == 200
    assert [row["id"] for row in board.json()["items"]] == [alert.pk]

    seen = api.get(f"/alerts/{alert.pk}", user=paired.officer).json()
    assert seen["can_respond"] is True
    card = seen["safety_card"]
    assert card["name"] == paired.child_a.name
    assert card["guardian"] == {"role": "grandmother", "name": "王奶奶", "phone": GUARDIAN_PHONE}
    assert [m["role"] for m in card["team"]] == ["police", "doctor", "volunteer"]


@pytest.mark.parametrize("kind", ["danger", "suspected_abuse"])
def test_the_raise_answer_is_what_reading_the_alert_back_gives(
    api: Api, paired: Personas, kind: str
) -> None:
    """The raiser is answered with what the service wrote, not a read-back: it must be the same
    record (steps, notifications, people, safety card) as the alert read afterwards."""
    raised = raise_alert(api, paired.director_a, paired.child_a, kind=kind, note="门口")
    read = api.get(f"/alerts/{raised['id']}", user=paired.director_a).json()
    assert raised.pop("told") and read.pop("told") is None  # the raise alone says who is told
    assert raised == read
    assert raised["events"][0]["kind"] == "raised"
    assert len(raised["notifications"]) == 3
    assert raised["safety_card"] is not None


def test_an_answer_is_rendered_with_the_child_read_through_the_access_layer(
    api: Api, paired: Personas
) -> None:
    """The alert is read with its child (and the read logged); answering it must not read the
    child again on the side to render the safety card."""
    data = raise_alert(api, paired.director_a, paired.child_a)
    with CaptureQueriesContext(connection) as queries:
        answered = act(api, data["id"], "acknowledge", paired.officer)
    assert answered.status_code == 200
    assert answered.json()["safety_card"]["name"] == paired.child_a.name
    child_reads = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "registry_child"')
    ]
    assert child_reads == []


def test_reading_an_alert_is_a_logged_read_of_the_child(api: Api, paired: Personas) -> None:
    data = raise_alert(api, paired.director_a, paired.child_a)

    api.get(f"/alerts/{data['id']}", user=paired.supervisor_a)

    assert AccessLog.objects.filter(
        user=paired.supervisor_a, child=paired.child_a, route="api:alert_get"
    ).exists()


def test_nobody_raises_an_alert_for_a_child_they_cannot_see(api: Api, paired: Personas) -> None:
    for user, child in (
        (paired.director_b, paired.child_a),
        (paired.officer, paired.child_b),
        (paired.outsider, paired.child_a),
        (paired.other_admin, paired.child_a),
    ):
        response = api.post("/alerts", user=user, body={"child": child.pk, "kind": "danger"})
        assert response.status_code == 404, (user, response.content)
    assert not Alert.objects.exists()


@pytest.mark.parametrize("role", ["officer", "doctor", "volunteer", "supervisor_a", "admin"])
def test_everyone_who_sees_the_child_may_raise(api: Api, paired: Personas, role: str) -> None:
    raise_alert(api, getattr(paired, role), paired.child_a)
    assert Alert.objects.count() == 1


def test_raise_refuses_an_unknown_kind_and_a_child_who_left(api: Api, paired: Personas) -> None:
    response = api.post(
        "/alerts", user=paired.director_a, body={"child": paired.child_a.pk, "kind": "boredom"}
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["kind"]
    child = paired.child_a
    child.exited_on, child.exit_reason = timezone.localdate(), "moved_away"
    child.save()
    response = api.post(
        "/alerts", user=paired.director_a, body={"child": child.pk, "kind": "danger"}
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["__all__"]
    assert not Alert.objects.exists()


def test_volunteer_sees_only_alerts_they_raised_or_were_sent(api: Api, paired: Personas) -> None:
    by_director = raise_alert(api, paired.director_a, paired.child_a)["id"]

    assert api.get(f"/alerts/{by_director}", user=paired.volunteer).status_code == 404
    assert api.get("/alerts", user=paired.volunteer).json() == {"items": [], "count": 0}
    assert act(api, by_director, "acknowledge", paired.volunteer).status_code == 404

    own = raise_alert(api, paired.volunteer, paired.child_a, kind="injury")["id"]
    mine = api.get(f"/alerts/{own}", user=paired.volunteer)
    assert mine.status_code == 200
    assert (mine.json()["can_respond"], mine.json()["safety_card"]) == (False, None)
    assert [r["id"] for r in api.get("/alerts", user=paired.volunteer).json()["items"]] == [own]
    # They follow their own alert but do not answer it.
    assert act(api, own, "acknowledge", paired.volunteer).status_code == 403

    # An alert sent to them (here: a notification row for them, as a policy could send one).
    Notification.objects.create(
        alert_id=by_director,
        level=0,
        channel=Channel.IN_APP,
        recipient=paired.volunteer,
        idempotency_key=f"alert-{by_director}-0-in_app-test",
        created_at=timezone.now(),
    )
    assert api.get(f"/alerts/{by_director}", user=paired.volunteer).status_code == 200


def test_a_mandatory_report_hides_its_reporter_but_from_county_admins(
    api: Api, paired: Personas
) -> None:
    alert_id = raise_alert(api, paired.director_a, paired.child_a, kind="suspected_abuse")["id"]

    for user, shown in (
        (paired.supervisor_a, None),
        (paired.officer, None),
        (paired.admin, "director"),
        (paired.director_a, "director"),
    ):
        data = api.get(f"/alerts/{alert_id}", user=user).json()
        assert data["mandatory_report"] is True
        assert (data["raised_by"] or {}).get("username") == shown, user
        raised = next(e for e in data["events"] if e["kind"] == "raised")
        assert (raised["actor"] or {}).get("username") == shown, user
        assert ("director" in json.dumps(data["events"])) == (shown is not None)


def test_the_board_filters_by_area_and_pages(api: Api, paired: Personas) -> None:
    a = raise_alert(api, paired.admin, paired.child_a)["id"]
    b = raise_alert(api, paired.admin, paired.child_b)["id"]
    resolved = raise_alert(api, paired.admin, paired.child_b)["id"]
    api.post(f"/alerts/{resolved}/resolve", user=paired.admin, body={"resolution": "false_alarm"})

    def ids(**query: Any) -> list[int]:
        response = api.get("/alerts", user=paired.admin, query=query)
        assert response.status_code == 200
        return [row["id"] for row in response.json()["items"]]

    assert ids() == [b, a]
    assert ids(area=paired.village_a.pk) == [a]
    assert ids(area=paired.township_b.pk) == [b]
    assert ids(area=paired.county.pk) == [b, a]
    assert ids(area=10**9) == []
    page = api.get("/alerts", user=paired.admin, query={"limit": 1, "offset": 1}).json()
    assert page["count"] == 2 and [r["id"] for r in page["items"]] == [a]
    # A director's board holds their village only; another county's admin sees none of it.
    assert [r["id"] for r in api.get("/alerts", user=paired.director_b).json()["items"]] == [b]
    assert api.get("/alerts", user=paired.other_admin).json()["count"] == 0


def test_the_board_costs_the_same_queries_whatever_its_length(api: Api, paired: Personas) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/alerts", user=paired.officer).status_code == 200
        return len(captured)

    raise_alert(api, paired.director_a, paired.child_a)
    queries()  # the token's first use is recorded once
    one = queries()
    for _ in range(4):
        raise_alert(api, paired.director_a, paired.child_a)
    assert queries() == one


# ---- answering ------------------------------------------------------------------------------


def test_every_answer_is_timestamped_and_a_state_that_passed_is_a_409(
    api: Api, paired: Personas
) -> None:
    alert_id = raise_alert(api, paired.director_a, paired.child_a)["id"]

    ack = act(api, alert_id, "acknowledge", paired.officer)
    assert ack.status_code == 200, ack.content
    assert ack.json()["state"] == "acknowledged" and ack.json()["next_step_at"] is None
    again = act(api, alert_id, "acknowledge", paired.director_a)
    assert again.status_code == 409
    assert again.json() == {"detail": "This alert is already acknowledged.", "errors": {}}

    way = api.post(f"/alerts/{alert_id}/on-the-way", user=paired.officer, body={"note": "5 分钟"})
    assert way.json()["state"] == "on_the_way"
    assert act(api, alert_id, "with-child", paired.officer).status_code == 200
    assert act(api, alert_id, "on-the-way", paired.officer).status_code == 409

    done = api.post(
        f"/alerts/{alert_id}/resolve",
        user=paired.officer,
        body={"resolution": "safe", "note": "已送回奶奶家"},
    )
    assert done.status_code == 200
    data = done.json()
    assert (data["state"], data["resolution"], data["resolution_note"]) == (
        "resolved",
        "safe",
        "已送回奶奶家",
    )
    assert data["acknowledged_at"] <= data["on_the_way_at"] <= data["with_child_at"]
    assert data["with_child_at"] <= data["resolved_at"]
    answers = [e for e in data["events"] if e["actor"] and e["kind"] != "raised"]
    assert [(e["kind"], e["actor"]["username"]) for e in answers] == [
        ("acknowledged", "police"),
        ("on_the_way", "police"),
        ("with_child", "police"),
        ("resolved", "police"),
    ]
    assert answers[1]["data"] == {"note": "5 分钟"}
    for action in ("acknowledge", "on-the-way", "with-child"):
        assert act(api, alert_id, action, paired.admin).status_code == 409
    late = api.post(
        f"/alerts/{alert_id}/resolve", user=paired.admin, body={"resolution": "referred"}
    )
    assert late.status_code == 409
    assert late.json()["detail"] == "This alert is already resolved."
    assert Alert.objects.get(pk=alert_id).resolution == "safe"


def test_the_first_answer_may_skip_ahead(api: Api, paired: Personas) -> None:
    alert_id = raise_alert(api, paired.director_a, paired.child_a)["id"]

    response = act(api, alert_id, "with-child", paired.supervisor_a)

    data = response.json()
    assert data["state"] == "with_child"
    assert data["acknowledged_at"] == data["with_child_at"]


def test_a_resolution_must_be_chosen(api: Api, paired: Personas) -> None:
    alert_id = raise_alert(api, paired.director_a, paired.child_a)["id"]
    for body in ({}, {"resolution": "gone"}, {"resolution": "safe", "note": "x" * 2001}):
        response = api.post(f"/alerts/{alert_id}/resolve", user=paired.officer, body=body)
        assert response.status_code == 422, body
    assert Alert.objects.get(pk=alert_id).state == "open"


def test_a_doctor_follows_the_alert_they_raised_but_cannot_answer_it(
    api: Api, paired: Personas
) -> None:
    alert_id = raise_alert(api, paired.doctor, paired.child_a, kind="injury")["id"]

    assert api.get(f"/alerts/{alert_id}", user=paired.doctor).json()["can_respond"] is False
    response = api.post(
        f"/alerts/{alert_id}/resolve", user=paired.doctor, body={"resolution": "safe"}
    )
    assert response.status_code == 403
    assert Alert.objects.get(pk=alert_id).state == "open"


# ---- the escalation policy ------------------------------------------------------------------

POLICY = {
    "steps": [
        {"who": "assigned_officer", "wait_seconds": 30, "channels": ["in_app", "sms"]},
        {"who": "county_duty_desk", "wait_seconds": 90, "channels": ["in_app", "email"]},
    ],
    "repeat_seconds": 120,
    "desk_phone": "0578-5081234",
    "desk_email": "desk@jingning.example",
}


def test_a_county_admin_reads_and_replaces_the_policy(api: Api, paired: Personas) -> None:
    default = api.get("/escalation-policy", user=paired.admin)
    assert default.status_code == 200
    assert default.json()["saved"] is False
    assert [s["wait_seconds"] for s in default.json()["steps"]] == [60, 120, 180, 300]
    assert default.json()["repeat_seconds"] == 300

    saved = api.call(
        "PUT",
        "/escalation-policy",
        user=paired.admin,
        body={**POLICY, "desk_users": [paired.supervisor_a.pk]},
    )

    assert saved.status_code == 200, saved.content
    data = saved.json()
    assert data["saved"] is True and data["county"]["id"] == paired.county.pk
    assert data["steps"] == POLICY["steps"] and data["repeat_seconds"] == 120
    assert data["desk_phone"] == "05785081234"
    assert [u["username"] for u in data["desk_users"]] == ["supervisor"]
    assert api.get("/escalation-policy", user=paired.admin).json() == data
    # Alerts raised from now on climb the new policy.
    alert = raise_alert(api, paired.director_a, paired.child_a)
    stored = Alert.objects.get(pk=alert["id"])
    assert stored.next_step_at == stored.raised_at + timedelta(seconds=30)
    # Another county's policy is its own.
    other = api.get("/escalation-policy", user=paired.other_admin).json()
    assert other["saved"] is False and other["county"]["id"] == paired.other_county.pk


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"steps": []}, "steps"),
        ({"repeat_seconds": 0}, "repeat_seconds"),
        ({"steps": [{"who": "mayor", "wait_seconds": 5, "channels": ["sms"]}]}, "steps.0.who"),
        (
            {"steps": [{"who": "assigned_officer", "wait_seconds": 0, "channels": ["sms"]}]},
            "steps.0.wait_seconds",
        ),
        (
            {"steps": [{"who": "assigned_officer", "wait_seconds": 5, "channels": ["sms", "sms"]}]},
            "steps",
        ),
        ({"desk_email": "not an address"}, "desk_email"),
        ({"desk_phone": "call the desk"}, "desk_phone"),
        ({"desk_users": [10**9]}, "desk_users"),
    ],
)
def test_a_policy_that_cannot_be_used_is_a_422_naming_the_field(
    api: Api, paired: Personas, change: dict[str, Any], field: str
) -> None:
    response = api.call("PUT", "/escalation-policy", user=paired.admin, body={**POLICY, **change})

    assert response.status_code == 422, response.content
    assert list(response.json()["errors"]) == [field]
    assert not EscalationPolicy.objects.exists()


def test_desk_staff_must_belong_to_the_county(api: Api, paired: Personas) -> None:
    response = api.call(
        "PUT",
        "/escalation-policy",
        user=paired.admin,
        body={**POLICY, "desk_users": [paired.other_admin.pk]},
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["desk_users"]


@pytest.mark.parametrize("role", ["supervisor_a", "director_a", "officer", "outsider"])
def test_only_county_admins_touch_the_policy(api: Api, paired: Personas, role: str) -> None:
    user = getattr(paired, role)
    assert api.get("/escalation-policy", user=user).status_code == 403
    assert api.call("PUT", "/escalation-policy", user=user, body=POLICY).status_code == 403
    assert not EscalationPolicy.objects.exists()


# ---- the SMS webhook ------------------------------------------------------------------------


def sms(api: Api, body: Any, *, signature: str | None = None, raw: bytes | None = None) -> Any:
    """A signed webhook call; a message is sent to 景宁's help number unless it says otherwise."""
    if isinstance(body, dict) and signature is None:
        body = {"to": HELP_NUMBER, **body}
    data = raw if raw is not None else json.dumps(body).encode()
    headers = {"Accept-Language": "en"}
    if signature is None:
        signature = f"sha256={sign(data, WEBHOOK_SECRET)}"
    if signature:
        headers["X-Signature"] = signature
    return api.client.post(
        "/api/v1/sms/inbound", data=data, content_type="application/json", headers=headers
    )


@pytest.fixture
def webhook(settings: Any, paired: Personas) -> Personas:
    settings.SMS_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.COUNTY_CODE = paired.county.code
    help_number_set(paired)  # messages go to 景宁's number (`sms` sends "to")
    return paired


def test_a_signed_sms_from_the_guardian_raises_an_alert_for_her_child(
    api: Api, webhook: Personas
) -> None:
    response = sms(api, {"from": "+86 136 1234 5678", "text": "孩子不见了", "id": "gw-1"})

    assert response.status_code == 200, response.content
    assert response.json() == {"received": "gw-1", "alerts": 1}
    alert = Alert.objects.get()
    assert (alert.child, alert.source, alert.kind, alert.note) == (
        webhook.child_a,
        "sms",
        "help_request",
        "孩子不见了",
    )
    assert Notification.objects.filter(alert=alert, recipient=webhook.officer).exists()
    # A second text while the alert is open joins it.
    assert sms(api, {"from": GUARDIAN_PHONE, "text": "快来"}).json()["alerts"] == 1
    assert Alert.objects.count() == 1


def test_the_same_message_delivered_again_changes_nothing(api: Api, webhook: Personas) -> None:
    """Gateways deliver at least once: a retried webhook (same message id) neither raises a
    second alert nor rings the responders again."""
    message = {"from": GUARDIAN_PHONE, "text": "孩子不见了", "id": "gw-7"}
    assert sms(api, message).json() == {"received": "gw-7", "alerts": 1}
    events = AlertEvent.objects.count()

    again = sms(api, message)

    assert again.status_code == 200 and again.json() == {"received": "gw-7", "alerts": 1}
    assert Alert.objects.count() == 1 and AlertEvent.objects.count() == events
    assert not AlertEvent.objects.filter(kind="repeated").exists()
    # Another message from the same phone is another request for help.
    assert sms(api, {**message, "id": "gw-8"}).json()["alerts"] == 1
    assert AlertEvent.objects.filter(kind="repeated").count() == 1


def test_an_sms_from_an_unknown_number_goes_to_the_county_desk(api: Api, webhook: Personas) -> None:
    response = sms(api, {"from": "13512345432", "text": "救命"})

    assert response.status_code == 200
    alert = Alert.objects.get()
    assert alert.child is None
    board = api.get("/alerts", user=webhook.admin).json()["items"]
    assert [(r["id"], r["child"], r["sender"]) for r in board] == [(alert.pk, None, "135****5432")]
    card = api.get(f"/alerts/{alert.pk}", user=webhook.admin).json()["safety_card"]
    assert card["sender_phone"] == "13512345432"
    assert api.get(f"/alerts/{alert.pk}", user=webhook.director_a).status_code == 404


def test_an_unsigned_sms_is_a_401_and_a_wrongly_signed_one_a_403(
    api: Api, webhook: Personas, settings: Any
) -> None:
    body = {"from": GUARDIAN_PHONE, "text": "help"}
    raw = json.dumps(body).encode()

    unsigned = sms(api, body, signature="")
    assert unsigned.status_code == 401
    # The challenge names the signature, not a bearer token the gateway does not have.
    assert unsigned["WWW-Authenticate"] == 'Signature header="X-Signature"'
    assert sms(api, body, signature="sha256=" + "0" * 64).status_code == 403
    # Signed, then changed on the way.
    tampered = raw.replace(b"help", b"HELP")
    assert (
        sms(api, body, raw=tampered, signature=f"sha256={sign(raw, WEBHOOK_SECRET)}").status_code
        == 403
    )
    assert sms(api, body, signature=sign(raw, "another secret")).status_code == 403
    # A bearer token is no way in.
    response = api.post("/sms/inbound", user=webhook.admin, body=body)
    assert response.status_code == 401
    # With no secret configured every request is refused.
    settings.SMS_WEBHOOK_SECRET = ""
    assert sms(api, body, signature=f"sha256={sign(raw, WEBHOOK_SECRET)}").status_code == 403
    assert not Alert.objects.exists()
    # The bare hex form of the signature is accepted.
    settings.SMS_WEBHOOK_SECRET = WEBHOOK_SECRET
    assert sms(api, body, signature=sign(raw, WEBHOOK_SECRET)).status_code == 200


def test_a_signed_sms_that_is_not_valid_is_a_422(api: Api, webhook: Personas) -> None:
    for body, field in (({"text": "x"}, "from"), ({"from": "12"}, "phone")):
        response = sms(api, body)
        assert response.status_code == 422, body
        assert list(response.json()["errors"]) == [field]
    assert not Alert.objects.exists()


# ---- health ---------------------------------------------------------------------------------


def beat(seconds_ago: float) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        name="host:1",
        defaults={
            "host": "host",
            "pid": 1,
            "started_at": now - timedelta(hours=1),
            "last_seen": now - timedelta(seconds=seconds_ago),
        },
    )


def test_health_says_when_the_sweeper_is_silent(api: Api, personas: Personas) -> None:
    never = api.get("/health")
    assert never.status_code == 503
    assert never.json() == {"database": "ok", "sweeper": "silent", "sweeper_last_seen": None}

    beat(2)
    ok = api.get("/health")
    assert ok.status_code == 200
    assert ok.json()["sweeper"] == "ok" and ok.json()["sweeper_last_seen"] is not None

    beat(31)
    silent = api.get("/health")
    assert silent.status_code == 503 and silent.json()["sweeper"] == "silent"


# ---- the event stream through the test client (no event loop of its own) --------------------


def frames(body: bytes) -> list[dict[str, Any]]:
    """The events of a text/event-stream body (comments and the retry line left out)."""
    found = []
    for block in body.decode().split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if line and not line.startswith(":")
        )
        if "id" in fields:
            found.append({**fields, "data": json.loads(fields["data"])})
    return found


def test_the_stream_answers_what_is_waiting_when_served_without_an_event_loop(
    api: Api, paired: Personas
) -> None:
    first = raise_alert(api, paired.director_a, paired.child_a)["id"]
    second = raise_alert(api, paired.director_b, paired.child_b)["id"]  # not the officer's
    act(api, first, "acknowledge", paired.supervisor_a)

    response = api.get("/events", user=paired.officer, query={"last_event_id": 0})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    assert response["X-Accel-Buffering"] == "no"
    assert response["Cache-Control"] == "no-cache"
    assert not response.has_header("Content-Encoding")
    assert response.content.startswith(b"retry: ")
    got = frames(response.content)
    assert [(f["id"], f["event"], f["data"]["alert"]) for f in got] == [
        ("1", "alert", first),
        ("2", "alert_update", first),
    ]
    assert got[0]["data"]["kind_label"] == "in danger"
    assert got[1]["data"]["state"] == "acknowledged"
    assert second not in [f["data"]["alert"] for f in got]
    resumed = api.get("/events", user=paired.officer, headers={"Last-Event-ID": "1"})
    assert [f["id"] for f in frames(resumed.content)] == ["2"]
    # The header wins over the query (EventSource keeps the URL it started with).
    both = api.get(
        "/events", user=paired.officer, query={"last_event_id": 0}, headers={"Last-Event-ID": "2"}
    )
    assert frames(both.content) == []
    # A fresh stream starts after the latest event.
    assert frames(api.get("/events", user=paired.officer).content) == []


def test_the_stream_needs_a_sign_in(api: Api, personas: Personas) -> None:
    response = api.get("/events")
    assert response.status_code == 401


@pytest.mark.parametrize("value", ["x", "-1", "1.5", "٣", "9" * 20, "9" * 5000])
def test_a_last_event_id_that_is_not_an_event_number_is_a_422(
    api: Api, personas: Personas, value: str
) -> None:
    response = api.get("/events", user=personas.officer, headers={"Last-Event-ID": value})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["Last-Event-ID"]


def test_events_carry_no_child_name(api: Api, paired: Personas) -> None:
    raise_alert(api, paired.director_a, paired.child_a, kind="self_harm")

    body = api.get("/events", user=paired.officer, query={"last_event_id": 0}).content.decode()

    assert paired.child_a.name not in body
    assert "self-harm" in body  # the kind's label, in the request's language


def test_the_published_schemas_are_these_models(openapi: dict[str, Any]) -> None:
    """The schema names components by class name: another module's class of the same name would
    silently replace one of these in the published schema."""
    models = [
        getattr(protection_schemas, name)
        for name in dir(protection_schemas)
        if name.endswith(("In", "Out", "Query"))
        and isinstance(getattr(protection_schemas, name), type)
        and issubclass(getattr(protection_schemas, name), Schema)
        and getattr(protection_schemas, name).__module__ == protection_schemas.__name__
    ]
    assert len(models) >= 15
    published = openapi["components"]["schemas"]
    for model in models:
        if model.__name__ not in published:
            continue  # a query's fields are published as parameters
        fields = {f.alias or name for name, f in model.model_fields.items()}
        assert set(published[model.__name__]["properties"]) == fields, model.__name__


# ---- issue 14: who is told, who answers, repeats, outcomes -----------------------------------


def test_the_raise_says_truthfully_who_is_being_told(api: Api, paired: Personas) -> None:
    data = raise_alert(api, paired.director_a, paired.child_a)
    officer = paired.officer.carer
    assert officer is not None
    assert data["told"] == f"The alert is raised: telling officer {officer.name} (paired) now."

    # Child B (village B) has no officer, and no station covers village B: the desk hears now.
    data = raise_alert(api, paired.admin, paired.child_b)
    assert data["told"] == "No police station covers this village: telling the county desk now."
    assert data["level"] == 3
    assert {n["recipient"]["username"] for n in data["notifications"] if n["recipient"]} == {
        "admin"
    }


def test_the_raiser_gets_403_answering_their_own_open_alert(api: Api, paired: Personas) -> None:
    data = raise_alert(api, paired.director_a, paired.child_a)
    assert data["can_respond"] is False
    for action in ("acknowledge", "on-the-way", "with-child"):
        assert act(api, data["id"], action, paired.director_a).status_code == 403
    refused = act(api, data["id"], "resolve", paired.director_a, {"resolution": "false_alarm"})
    assert refused.status_code == 403
    assert Alert.objects.get(pk=data["id"]).state == "open"
    assert act(api, data["id"], "acknowledge", paired.officer).status_code == 200
    # Acknowledged by a responder, the raiser may go on (they may be the one with the child).
    assert api.get(f"/alerts/{data['id']}", user=paired.director_a).json()["can_respond"] is True
    assert act(api, data["id"], "with-child", paired.director_a).status_code == 200


def test_a_second_raise_through_the_api_folds_into_the_open_alert(
    api: Api, paired: Personas
) -> None:
    first = raise_alert(api, paired.director_a, paired.child_a, note="在校门口哭")
    second = raise_alert(api, paired.director_a, paired.child_a, note="还在哭")
    assert second["id"] == first["id"] and Alert.objects.count() == 1
    assert second["requests"] == 2
    assert second["told"] == (
        "This child already has an open alert: it is raised again (asked 2 times)."
    )
    assert [e["kind"] for e in second["events"]].count("repeated") == 1


def test_a_resolved_alert_gives_its_outcome_and_note(api: Api, paired: Personas) -> None:
    data = raise_alert(api, paired.director_a, paired.child_a)
    body = {"resolution": "safe", "note": "在同学家找到"}
    assert act(api, data["id"], "resolve", paired.officer, body).status_code == 200
    seen = api.get(f"/alerts/{data['id']}", user=paired.director_a).json()
    assert (seen["resolution"], seen["resolution_note"]) == ("safe", "在同学家找到")
