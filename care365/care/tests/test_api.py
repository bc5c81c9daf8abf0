"""Daily care through the API: contacts, the due list, examinations, screenings (a self-harm
answer raises an alert), the risk list and small wishes with their 409s; and a volunteer (or an
officer) never gets health or screening data from any operation."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from care365.accounts import selectors as account_selectors
from care365.accounts.models import AccessLog
from care365.accounts.tests.api_client import Api, operations
from care365.care import jobs, services
from care365.care.models import Contact, ContactKind, Examination, Screening, Wish
from care365.care.tests.factories import contacts, team
from care365.protection.models import Alert
from care365.registry.models import Child
from care365.registry.tests.factories import LeftBehindChildFactory
from conftest import Personas

pytestmark = pytest.mark.django_db


def today() -> date:
    return timezone.localdate()


@pytest.fixture
def child(personas: Personas) -> Child:
    return team(personas)


@pytest.fixture
def teen(personas: Personas) -> Child:
    born = today().replace(year=today().year - 13) - timedelta(days=20)
    return team(
        personas, LeftBehindChildFactory.create(village=personas.village_a, birth_date=born)
    )


VISIT = {"kind": "volunteer_visit", "duration_minutes": 40, "activities": ["sport"], "mood": 5}


def test_a_volunteer_logs_a_visit_and_lists_the_volunteers_visits_only(
    api: Api, personas: Personas, child: Child
) -> None:
    response = api.post(f"/children/{child.pk}/contacts", user=personas.volunteer, body=VISIT)
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["kind"], data["duration_minutes"], data["mood"]) == ("volunteer_visit", 40, 5)
    assert data["activities"] == ["sport"] and data["occurred_on"] == today().isoformat()
    assert data["logged_by"]["username"] == "volunteer"
    api.post(
        f"/children/{child.pk}/contacts",
        user=personas.doctor,
        body={"kind": "consultation", "duration_minutes": 10, "what": "咳嗽"},
    )
    seen = api.get(f"/children/{child.pk}/contacts", user=personas.volunteer).json()
    assert [c["kind"] for c in seen["items"]] == ["volunteer_visit"] and seen["count"] == 1
    everything = api.get(f"/children/{child.pk}/contacts", user=personas.director_a).json()
    assert {c["kind"] for c in everything["items"]} == {"volunteer_visit", "consultation"}
    assert everything["count"] == 2
    officer = api.get(f"/children/{child.pk}/contacts", user=personas.officer).json()
    assert [c["kind"] for c in officer["items"]] == ["volunteer_visit"]


def test_a_contact_that_does_not_fit_is_refused_by_field_and_nothing_is_saved(
    api: Api, personas: Personas, child: Child
) -> None:
    url = f"/children/{child.pk}/contacts"
    no_activity = api.post(url, user=personas.volunteer, body={**VISIT, "activities": []})
    assert no_activity.status_code == 422
    assert set(no_activity.json()["errors"]) == {"activities"}
    later = (timezone.now() + timedelta(days=1)).isoformat()
    future = api.post(url, user=personas.volunteer, body={**VISIT, "occurred_at": later})
    assert set(future.json()["errors"]) == {"occurred_at"}
    naive = api.post(
        url, user=personas.volunteer, body={**VISIT, "occurred_at": "2026-01-01T10:00"}
    )
    assert naive.status_code == 422 and "occurred_at" in naive.json()["errors"]
    wrong_kind = api.post(url, user=personas.volunteer, body={**VISIT, "kind": "safety_check"})
    assert set(wrong_kind.json()["errors"]) == {"kind"}
    chinese = api.post(
        url, user=personas.volunteer, body={**VISIT, "activities": []}, language="zh-hans"
    )
    (message,) = chinese.json()["errors"]["activities"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message)  # in the caller's language
    assert not Contact.objects.exists()


def test_the_due_list_most_overdue_first(
    api: Api, personas: Personas, child: Child, monkeypatch: pytest.MonkeyPatch
) -> None:
    second = team(personas, LeftBehindChildFactory.create(village=personas.village_a))
    contacts(
        second, personas.volunteer, ContactKind.VOLUNTEER_VISIT, [today() - timedelta(days=10)]
    )
    data = api.get("/care/due", user=personas.volunteer).json()
    assert [(i["child"]["id"], i["kind"]) for i in data["items"]] == [
        (child.pk, "volunteer_visit"),
        (second.pk, "volunteer_visit"),
    ]
    assert data["items"][1]["days_overdue"] == 3 and data["count"] == 2
    assert data["count_is_exact"] is True
    # A volunteer's rows name the child by given name only.
    assert data["items"][0]["child"]["name"] == child.name[1:]
    ahead = api.get("/care/due", user=personas.director_a, query={"within_days": 30}).json()
    assert {i["kind"] for i in ahead["items"]} == {"home_visit", "parent_contact"}
    only = api.get("/care/due", user=personas.supervisor_a, query={"kind": "safety_check"})
    assert {i["kind"] for i in only.json()["items"]} == {"safety_check"}
    # Beyond the cap the count says so (a county's list holds hundreds of thousands).
    monkeypatch.setattr(account_selectors, "COUNT_CAP", 1)
    capped = api.get("/care/due", user=personas.volunteer).json()
    assert (capped["count"], capped["count_is_exact"], len(capped["items"])) == (1, False, 2)


def test_the_doctor_records_an_examination_with_who_z_scores(
    api: Api, personas: Personas, child: Child
) -> None:
    body = {"examined_on": today().isoformat(), "height_cm": 140.2, "weight_kg": 33.1}
    response = api.post(f"/children/{child.pk}/examinations", user=personas.doctor, body=body)
    assert response.status_code == 201, response.content
    data = response.json()
    exam = Examination.objects.get()
    assert (data["zhfa"], data["zbfa"], data["growth_reference"]) == (
        exam.zhfa,
        exam.zbfa,
        "who2007",
    )
    assert data["height_cm"] == 140.2 and data["zwfa"] is None  # over 10: no weight-for-age
    listed = api.get(f"/children/{child.pk}/examinations", user=personas.director_a).json()
    assert [e["id"] for e in listed["items"]] == [exam.pk]
    # Not the doctor: refused outright; a value out of range: 422 by field.
    assert (
        api.post(f"/children/{child.pk}/examinations", user=personas.director_a, body=body)
    ).status_code == 403
    bad = api.post(
        f"/children/{child.pk}/examinations",
        user=personas.doctor,
        body={"examined_on": today().isoformat(), "systolic": 120},
    )
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"diastolic"}


def test_an_implausible_value_through_the_api_needs_confirming(
    api: Api, personas: Personas, child: Child
) -> None:
    url = f"/children/{child.pk}/examinations"
    body = {"examined_on": today().isoformat(), "height_cm": 120, "weight_kg": 2}
    asked = api.post(url, user=personas.doctor, body=body)
    assert asked.status_code == 422 and set(asked.json()["errors"]) == {"weight_kg"}
    assert not Examination.objects.exists()
    saved = api.post(url, user=personas.doctor, body={**body, "confirm_implausible": True})
    assert saved.status_code == 201 and saved.json()["growth_flags"] == ["implausible_zbfa"]
    tall = api.post(
        url, user=personas.doctor, body={**body, "height_cm": 310, "confirm_implausible": True}
    )
    assert tall.status_code == 422 and set(tall.json()["errors"]) == {"height_cm"}


def test_without_the_guardians_consent_no_examination_through_the_api(
    api: Api, personas: Personas, child: Child
) -> None:
    child.consents.filter(purpose="health_screening").update(withdrawn_on=today())
    body = {"examined_on": today().isoformat(), "height_cm": 140.2, "weight_kg": 33.1}
    refused = api.post(f"/children/{child.pk}/examinations", user=personas.doctor, body=body)
    assert refused.status_code == 422 and set(refused.json()["errors"]) == {"child"}
    assert not Examination.objects.exists()


def test_a_self_harm_answer_through_the_api_raises_an_alert(
    api: Api, personas: Personas, teen: Child
) -> None:
    body = {"instrument": "phq9", "answers": [0, 0, 0, 0, 0, 0, 0, 0, 2]}
    response = api.post(f"/children/{teen.pk}/screenings", user=personas.doctor, body=body)
    assert response.status_code == 201, response.content
    data = response.json()
    alert = Alert.objects.get(child=teen)
    assert (data["flags"], data["alert"], alert.kind, alert.source) == (
        ["self_harm"],
        alert.pk,
        "self_harm",
        "api",
    )
    too_few = api.post(
        f"/children/{teen.pk}/screenings", user=personas.doctor, body={**body, "answers": [0, 1]}
    )
    assert too_few.status_code == 422 and set(too_few.json()["errors"]) == {"answers"}
    listed = api.get(f"/children/{teen.pk}/screenings", user=personas.supervisor_a).json()
    assert [s["total"] for s in listed["items"]] == [2]


def test_the_risk_list_for_the_area_highest_first(
    api: Api, personas: Personas, child: Child, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs.risk_recompute(today())
    data = api.get("/care/risk", user=personas.director_a).json()
    assert [i["child"]["id"] for i in data["items"]] == [child.pk]
    reasons = [r["reason"] for r in data["items"][0]["reasons"]]
    assert reasons[0] == "overdue_contact" and "no_parent_contact" in reasons
    assert api.get("/care/risk", user=personas.director_b).json()["items"] == []
    everyone = api.get("/care/risk", user=personas.admin, query={"include_below": "true"}).json()
    assert everyone["count"] >= 1 and everyone["count_is_exact"] is True
    points = [i["score"] for i in everyone["items"]]
    assert points == sorted(points, reverse=True)
    # Beyond the cap the count says so.
    monkeypatch.setattr(account_selectors, "COUNT_CAP", 0)
    capped = api.get("/care/risk", user=personas.director_a).json()
    assert (capped["count"], capped["count_is_exact"], len(capped["items"])) == (0, False, 1)


def test_a_wish_from_post_to_confirmation_with_409s(
    api: Api, personas: Personas, child: Child
) -> None:
    posted = api.post(
        f"/children/{child.pk}/wishes",
        user=personas.volunteer,
        body={"what": "一个足球", "cost_yuan": 90},
    )
    assert posted.status_code == 201, posted.content
    wish_id = posted.json()["id"]
    assert "child" not in posted.json()
    board = api.get("/wishes/board", user=personas.director_b).json()
    assert board["items"] == [
        {
            "id": wish_id,
            "name": child.name[1:],
            "age": child.age_on(today()),
            "township": "鹤溪街道",
            "what": "一个足球",
            "cost_yuan": 90,
            "state": "open",
        }
    ]
    assert api.get("/wishes/board", user=personas.other_admin).json()["items"] == []
    claim = api.post(f"/wishes/{wish_id}/claim", user=personas.director_b, body={})
    assert claim.status_code == 200 and claim.json()["claimed_by_you"] is True
    again = api.post(f"/wishes/{wish_id}/claim", user=personas.officer, body={})
    assert again.status_code == 409
    assert set(again.json()) == {"detail", "errors"} and "claimed" in again.json()["detail"]
    early = api.post(f"/wishes/{wish_id}/confirm", user=personas.volunteer, body={})
    assert early.status_code == 409
    assert api.post(f"/wishes/{wish_id}/deliver", user=personas.director_b).status_code == 200
    done = api.post(f"/wishes/{wish_id}/confirm", user=personas.volunteer, body={"note": "开心"})
    assert done.status_code == 200 and done.json()["state"] == "confirmed"
    assert Wish.objects.get().confirmed_by == personas.volunteer
    assert api.post(f"/wishes/{wish_id}/deliver", user=personas.director_a).status_code == 409


@pytest.mark.parametrize("who", ["volunteer", "officer"])
def test_no_operation_gives_a_volunteer_or_an_officer_health_or_screening_data(
    api: Api, personas: Personas, openapi: dict[str, Any], teen: Child, who: str
) -> None:
    """Every care operation that reads, as the child's own volunteer or officer: examinations
    and screenings are refused, and nothing else carries them."""
    services.examination_record(
        actor=personas.doctor, child=teen, examined_on=today(), height_cm=150.0, notes="MARK-EXAM"
    )
    services.contact_log(
        actor=personas.doctor, child=teen, kind="consultation", duration_minutes=5, what="MARK-DOC"
    )
    services.screening_record(
        actor=personas.doctor, child=teen, instrument="phq9", answers=[1, 1, 1, 1, 1, 1, 1, 1, 1]
    )
    jobs.risk_recompute(today())
    user = getattr(personas, who)
    markers = ("MARK-EXAM", "MARK-DOC", "phq9", "zhfa", "self_harm", "screening_positive")
    reads = {
        op: path
        for op, (method, path) in operations(openapi).items()
        if method == "GET"
        and (
            path.startswith(("/api/v1/care/", "/api/v1/wishes/"))
            or op
            in {"contact_list", "examination_list", "screening_list", "child_get", "child_team"}
        )
    }
    assert {"examination_list", "screening_list", "contact_list", "due_list", "risk_list"} <= set(
        reads
    )
    for op, path in reads.items():
        response = api.get(path.replace("{child_id}", str(teen.pk)), user=user)
        if op in {
            "examination_list",
            "screening_list",
            "risk_list",
            "health_session_list",
            "health_session_figures",
        }:
            assert response.status_code == 403, op
            continue
        assert response.status_code == 200, (op, response.content)
        body = response.content.decode()
        assert [m for m in markers if m in body] == [], op
    assert Screening.objects.exists() and Examination.objects.exists()


def test_every_care_operation_declares_its_errors(openapi: dict[str, Any]) -> None:
    care = {
        op: (method, path)
        for op, (method, path) in operations(openapi).items()
        if op
        in {
            "contact_log",
            "contact_list",
            "due_list",
            "examination_record",
            "examination_list",
            "screening_record",
            "screening_list",
            "risk_list",
            "wish_post",
            "wish_board",
            "wish_claim",
            "wish_deliver",
            "wish_confirm",
        }
    }
    assert len(care) == 13
    for op, (method, path) in care.items():
        responses = openapi["paths"][path][method.lower()]["responses"]
        assert {"400", "401", "403", "404", "422"} <= set(responses), op
        assert ("409" in responses) == op.startswith(("wish_claim", "wish_deliver", "wish_confirm"))


def test_every_care_operation_about_a_child_writes_its_access_log_row(
    api: Api, personas: Personas, openapi: dict[str, Any], teen: Child
) -> None:
    """Each read or write about one child goes through the access layer, which logs it with the
    operation as its route, by a user who may do it."""
    cases: dict[str, tuple[str, Any]] = {
        "contact_list": ("volunteer", None),
        "contact_log": ("volunteer", VISIT),
        "examination_list": ("director_a", None),
        "examination_record": ("doctor", {"examined_on": today().isoformat(), "height_cm": 150.0}),
        "screening_list": ("doctor", None),
        "screening_record": ("doctor", {"instrument": "gad7", "answers": [0] * 7}),
        "wish_post": ("director_a", {"what": "跳绳", "cost_yuan": 15}),
    }
    for op, (who, body) in cases.items():
        method, path = operations(openapi)[op]
        user = getattr(personas, who)
        last = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        response = api.call(method, path.replace("{child_id}", str(teen.pk)), user=user, body=body)
        assert response.status_code in (200, 201), (op, response.content)
        rows = AccessLog.objects.filter(pk__gt=last)
        assert [(r.child_id, r.user_id, r.route) for r in rows] == [
            (teen.pk, user.pk, f"api:{op}")
        ], op
