"""Children through the API: what each role sees, the list's filters and fixed query count,
registration and its errors, updates, exits, the ID reveal and the access log of every read."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from django.utils import translation

from care365.accounts.models import AccessLog, AccessPurpose
from care365.accounts.tests.api_client import Api, operations
from care365.core.models import AuditEvent
from care365.registry import idnumber
from care365.registry.models import Child, ChildStatus, Consent, StatusKind
from care365.registry.services import ID_ERRORS, TAKEN
from care365.registry.tests.factories import ChildFactory, LeftBehindChildFactory, valid_id_number
from conftest import Personas

pytestmark = pytest.mark.django_db

BORN = date(2016, 5, 20)


def registration(village_id: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "陈小雨",
        "sex": "F",
        "birth_date": BORN.isoformat(),
        "id_number": valid_id_number(BORN, "F", 901),
        "village": village_id,
        "address": "东弄村12号",
        "grade": "p3",
        "interests": ["music", "art"],
        "statuses": ["left_behind"],
        "father": {"situation": "away", "work_place": "宁波", "phone": "13711112222"},
        "mother": {"situation": "away", "work_place": "温州"},
        "guardian": {"name": "陈奶奶", "relationship": "grandmother", "phone": "13633334444"},
    }
    body.update(overrides)
    return body


# ---- what each role sees --------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["director_a", "supervisor_a", "admin"])
def test_registry_staff_see_guardian_phone_and_masked_id_never_the_full_id(
    api: Api, personas: Personas, persona: str
) -> None:
    child = personas.child_a
    response = api.get(f"/children/{child.pk}", user=getattr(personas, persona))

    assert response.status_code == 200
    data = response.json()
    assert data["guardian"]["phone"] == "13900000000"
    assert {p["phone"] for p in data["parents"]} == {"13800000000"}
    assert data["id_number"] == idnumber.mask(child.id_number)
    assert "*" in data["id_number"]
    assert child.id_number not in response.content.decode()
    assert data["name"] == "张小花"
    assert [s["kind"] for s in data["statuses"]] == [StatusKind.LEFT_BEHIND]


def test_fields_a_role_may_not_see_are_left_out_not_sent_empty(
    api: Api, personas: Personas
) -> None:
    data = api.get(f"/children/{personas.child_a.pk}", user=personas.director_a).json()
    # Registry staff see every group but the volunteer's card.
    assert "given_name" not in data
    assert {"address", "health_notes", "guardian", "income_source"} <= set(data)


def test_county_admin_reveals_the_full_id_with_a_reason_that_is_logged_not_in_the_url(
    api: Api, personas: Personas
) -> None:
    child = personas.child_a
    response = api.post(
        f"/children/{child.pk}/reveal-id",
        user=personas.admin,
        body={"reason": "核对户籍信息以办理低保"},
    )

    assert response.status_code == 200
    assert response.json()["id_number"] == child.id_number
    entry = AccessLog.objects.get(child=child, purpose=AccessPurpose.REVEAL_ID)
    assert (entry.user, entry.reason, entry.route) == (
        personas.admin,
        "核对户籍信息以办理低保",
        "api:child_reveal_id",
    )
    assert "核对" not in entry.route


def test_reveal_needs_a_reason(api: Api, personas: Personas) -> None:
    child = personas.child_a
    for reason in ("", "   "):
        response = api.post(
            f"/children/{child.pk}/reveal-id", user=personas.admin, body={"reason": reason}
        )
        assert response.status_code == 422
        assert "reason" in response.json()["errors"]
    assert not AccessLog.objects.filter(purpose=AccessPurpose.REVEAL_ID).exists()


def test_missing_and_out_of_scope_children_answer_the_same(api: Api, personas: Personas) -> None:
    out_of_scope = api.get(f"/children/{personas.child_b.pk}", user=personas.director_a)
    missing = api.get("/children/987654", user=personas.director_a)

    assert out_of_scope.status_code == missing.status_code == 404
    assert out_of_scope.json() == missing.json() == {"detail": "Not found.", "errors": {}}


# ---- the list -------------------------------------------------------------------------------


def test_list_rows_show_no_id_number_address_or_phone(api: Api, personas: Personas) -> None:
    response = api.get("/children", user=personas.admin)

    assert response.status_code == 200
    text = response.content.decode()
    for child in (personas.child_a, personas.child_b):
        assert child.id_number not in text
        assert child.address not in text
    assert "13900000000" not in text
    assert {tuple(sorted(row)) for row in response.json()["items"]} == {
        ("active", "age", "id", "name", "sex", "village")
    }


def test_list_filters(api: Api, personas: Personas) -> None:
    p = personas
    boy = ChildFactory.create(
        village=p.village_a, name="周大山", sex="M", birth_date=date(2010, 1, 2)
    )
    exited = ChildFactory.create(
        village=p.village_a,
        name="周小溪",
        sex="F",
        exited_on=date(2025, 1, 1),
        exit_reason="moved_away",
    )

    def ids(**query: Any) -> set[int]:
        response = api.get("/children", user=p.admin, query=query)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["items"]}

    assert ids() == {p.child_a.pk, p.child_b.pk, boy.pk}
    assert ids(area=p.township_a.pk) == {p.child_a.pk, boy.pk}
    assert ids(area=p.village_b.pk) == {p.child_b.pk}
    assert ids(area=p.other_village.pk) == set()  # not in the admin's scope
    assert ids(status="left_behind") == {p.child_a.pk, p.child_b.pk}
    assert ids(sex="M") == {p.child_b.pk, boy.pk}
    assert boy.pk in ids(age_min=14) and p.child_a.pk not in ids(age_min=14)
    assert boy.pk not in ids(age_max=13) and p.child_a.pk in ids(age_max=13)
    assert exited.pk not in ids() and exited.pk in ids(include_exited="true")


def test_search_by_name_or_id_number_travels_in_the_body(api: Api, personas: Personas) -> None:
    p = personas
    boy = ChildFactory.create(village=p.village_a, name="周大山", sex="M")
    exited = ChildFactory.create(
        village=p.village_a,
        name="周小溪",
        sex="F",
        exited_on=date(2025, 1, 1),
        exit_reason="moved_away",
    )
    ChildFactory.create(village=p.other_village, name="周小河")  # another county's

    def ids(**body: Any) -> set[int]:
        response = api.post("/children/search", user=p.admin, body=body)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["items"]}

    assert ids(q="周") == {boy.pk}
    assert ids(q="周", include_exited=True) == {boy.pk, exited.pk}
    assert ids(q="周", sex="F", include_exited=True) == {exited.pk}
    assert ids(q=p.child_b.id_number) == {p.child_b.pk}
    assert ids(q=p.child_b.id_number.lower()) == {p.child_b.pk}
    assert ids(q=p.child_other.id_number) == set()
    assert api.post("/children/search", user=p.admin, body={"q": ""}).status_code == 422


def test_the_list_takes_no_name_or_id_number_in_its_url(openapi: dict[str, Any]) -> None:
    params = openapi["paths"]["/api/v1/children"]["get"]["parameters"]
    assert "q" not in {p["name"] for p in params}


def test_list_pages_with_limit_and_offset(api: Api, personas: Personas) -> None:
    ChildFactory.create_batch(5, village=personas.village_a)
    first = api.get("/children", user=personas.director_a, query={"limit": 4}).json()
    rest = api.get("/children", user=personas.director_a, query={"limit": 4, "offset": 4}).json()

    assert first["count"] == rest["count"] == 6
    assert len(first["items"]) == 4 and len(rest["items"]) == 2
    assert not {r["id"] for r in first["items"]} & {r["id"] for r in rest["items"]}


def test_list_limit_is_bounded(api: Api, personas: Personas) -> None:
    response = api.get("/children", user=personas.admin, query={"limit": 101})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"limit"}


# token, the scope's villages (none for a director: their scope is one village), emergency
# accesses, count, the page's ids, its rows
@pytest.mark.parametrize(("persona", "queries"), [("admin", 6), ("director_a", 5)])
def test_list_makes_a_fixed_number_of_queries(
    api: Api, personas: Personas, django_assert_num_queries: Any, persona: str, queries: int
) -> None:
    user = getattr(personas, persona)
    api.get("/children", user=user)  # the token's first use records it; not part of a list

    with django_assert_num_queries(queries):
        small = api.get("/children", user=user, query={"limit": 100})
    LeftBehindChildFactory.create_batch(12, village=personas.village_a)
    with django_assert_num_queries(queries):
        large = api.get("/children", user=user, query={"limit": 100})
    assert large.json()["count"] == small.json()["count"] + 12


# ---- registration ---------------------------------------------------------------------------


def test_director_registers_a_child_with_family(api: Api, personas: Personas) -> None:
    body = registration(personas.village_a.pk)
    response = api.post("/children", user=personas.director_a, body=body)

    assert response.status_code == 201, response.content
    data = response.json()
    child = Child.objects.get(pk=data["id"])
    assert (child.name, child.village, child.id_number) == (
        "陈小雨",
        personas.village_a,
        body["id_number"],
    )
    assert data["id_number"] == idnumber.mask(body["id_number"])
    assert data["guardian"]["phone"] == "13633334444"
    assert {p["role"]: p["work_place"] for p in data["parents"]} == {
        "father": "宁波",
        "mother": "温州",
    }
    assert [s["kind"] for s in data["statuses"]] == ["left_behind"]
    assert child.interests == ["music", "art"]
    assert AuditEvent.objects.filter(action="child_register", object_id=child.pk).exists()


def test_register_with_a_bad_check_digit(api: Api, personas: Personas) -> None:
    number = valid_id_number(BORN, "F", 901)
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    response = api.post(
        "/children",
        user=personas.director_a,
        body=registration(personas.village_a.pk, id_number=wrong),
    )

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors == {"id_number": [str(ID_ERRORS[idnumber.IdNumberError.CHECK])]}
    assert not Child.objects.filter(name="陈小雨").exists()


def test_register_the_same_id_number_twice(api: Api, personas: Personas) -> None:
    body = registration(personas.village_a.pk)
    assert api.post("/children", user=personas.director_a, body=body).status_code == 201

    again = api.post("/children", user=personas.admin, body=body | {"name": "陈小云"})

    assert again.status_code == 422
    assert again.json()["errors"] == {"id_number": [str(TAKEN)]}


def test_register_with_a_birth_date_the_id_number_disagrees_with(
    api: Api, personas: Personas
) -> None:
    body = registration(personas.village_a.pk, birth_date="2016-05-21")
    response = api.post("/children", user=personas.director_a, body=body)

    assert response.status_code == 422
    assert response.json()["errors"] == {
        "birth_date": ["The birth date does not match the ID number."]
    }


def test_errors_come_in_the_language_asked_for(api: Api, personas: Personas) -> None:
    body = registration(personas.village_a.pk, birth_date="2016-05-21")
    english = api.post("/children", user=personas.director_a, body=body, language="en")
    chinese = api.post("/children", user=personas.director_a, body=body, language="zh-hans")

    with translation.override("zh-hans"):
        expected = translation.gettext("The birth date does not match the ID number.")
        detail = translation.gettext("Some fields are not valid.")
    assert english.json()["errors"]["birth_date"] == [
        "The birth date does not match the ID number."
    ]
    assert chinese.json() == {"detail": detail, "errors": {"birth_date": [expected]}}
    assert expected != "The birth date does not match the ID number."  # the catalogue has it


def test_register_in_a_village_outside_scope_is_refused_beside_the_field(
    api: Api, personas: Personas
) -> None:
    response = api.post(
        "/children", user=personas.director_a, body=registration(personas.village_b.pk)
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["village"]

    township = api.post("/children", user=personas.admin, body=registration(personas.township_a.pk))
    assert township.status_code == 422
    assert list(township.json()["errors"]) == ["village"]


def test_errors_never_echo_what_was_sent(api: Api, personas: Personas) -> None:
    """A refused registration must not put a child's name, ID number or phone in the body."""
    number = valid_id_number(BORN, "F", 902)
    body = registration(
        personas.village_a.pk,
        id_number=number[:17] + ("0" if number[17] != "0" else "1"),
        guardian={"name": "陈奶奶", "relationship": "nobody", "phone": "13633334444"},
        sex="X",
    )
    response = api.post("/children", user=personas.director_a, body=body)

    assert response.status_code == 422
    text = response.content.decode()
    for secret in ("陈小雨", number[:17], "13633334444", "陈奶奶", "东弄村12号", "nobody"):
        assert secret not in text
        assert json.dumps(secret)[1:-1] not in text


def test_nested_field_errors_name_their_path(api: Api, personas: Personas) -> None:
    body = registration(personas.village_a.pk, father={"situation": "gone"})
    response = api.post("/children", user=personas.director_a, body=body)

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["father.situation"]


# ---- update and exit ------------------------------------------------------------------------


def test_update_changes_only_the_fields_sent(api: Api, personas: Personas) -> None:
    child = personas.child_a
    response = api.patch(
        f"/children/{child.pk}",
        user=personas.director_a,
        body={"school": "城关小学", "guardian": {"phone": "13500000000"}},
    )

    assert response.status_code == 200, response.content
    child.refresh_from_db()
    assert (child.school, child.name, child.guardian.phone) == ("城关小学", "张小花", "13500000000")
    assert response.json()["guardian"]["phone"] == "13500000000"
    assert AccessLog.objects.filter(
        child=child, purpose=AccessPurpose.EDIT, route="api:child_update"
    ).exists()


def test_moving_a_child_needs_the_right_to_register_in_the_new_village(
    api: Api, personas: Personas
) -> None:
    child = personas.child_a
    refused = api.patch(
        f"/children/{child.pk}", user=personas.supervisor_a, body={"village": personas.village_b.pk}
    )
    assert refused.status_code == 422
    assert list(refused.json()["errors"]) == ["village"]

    moved = api.patch(
        f"/children/{child.pk}", user=personas.admin, body={"village": personas.village_b.pk}
    )
    assert moved.status_code == 200
    child.refresh_from_db()
    assert child.village == personas.village_b


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": None}, "name"),
        ({"languages": None}, "languages"),
        ({"school": None}, "school"),
        ({"guardian": {"phone": None}}, "guardian.phone"),
        ({"father": None}, "father"),
    ],
)
def test_update_refuses_null(
    api: Api, personas: Personas, body: dict[str, Any], field: str
) -> None:
    child = personas.child_a
    response = api.patch(f"/children/{child.pk}", user=personas.admin, body=body)

    assert response.status_code == 422
    assert list(response.json()["errors"]) == [field]
    child.refresh_from_db()
    assert (child.name, child.school, child.guardian.phone) == ("张小花", "中心小学", "13900000000")


def test_update_checks_the_id_number_against_the_record(api: Api, personas: Personas) -> None:
    response = api.patch(
        f"/children/{personas.child_a.pk}",
        user=personas.admin,
        body={"birth_date": "2015-03-15"},
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["birth_date"]


def test_exit_ends_open_statuses_and_a_second_exit_is_refused(api: Api, personas: Personas) -> None:
    child = personas.child_a
    response = api.post(
        f"/children/{child.pk}/exit",
        user=personas.director_a,
        body={"reason": "moved_to_parents", "on": "2026-01-05"},
    )

    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["active"], data["exited_on"], data["exit_reason"]) == (
        False,
        "2026-01-05",
        "moved_to_parents",
    )
    assert not ChildStatus.objects.filter(child=child, ended_on__isnull=True).exists()

    again = api.post(
        f"/children/{child.pk}/exit", user=personas.director_a, body={"reason": "moved_away"}
    )
    assert again.status_code == 422
    assert again.json() == {
        "detail": "This child has already left the registry.",
        "errors": {"__all__": ["This child has already left the registry."]},
    }
    edit = api.patch(f"/children/{child.pk}", user=personas.director_a, body={"school": "x"})
    assert edit.status_code == 422


def test_exit_date_must_be_between_birth_and_today(api: Api, personas: Personas) -> None:
    response = api.post(
        f"/children/{personas.child_a.pk}/exit",
        user=personas.admin,
        body={"reason": "moved_away", "on": "2001-01-01"},
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["on"]


# ---- every single-child read is logged with its route ---------------------------------------


def _single_child_operations(openapi: dict[str, Any]) -> list[str]:
    """Operations about one child: a child in the path or the query, or a registration."""
    ops = []
    for op, (method, path) in operations(openapi).items():
        spec = openapi["paths"][path][method.lower()]
        params = {p["name"] for p in spec.get("parameters", [])}
        if "{child_id}" in path or "child" in params or op == "child_register":
            ops.append(op)
    return sorted(ops)


# Daily care's operations about one child are logged with their routes too, each by a user who
# may do it (care365/care/tests/test_api.py).
CARE_CHILD_OPERATIONS = frozenset(
    {
        "contact_list",
        "contact_log",
        "examination_list",
        "examination_record",
        "interest_activity_record",
        "learning_get",
        "learning_goal_set",
        "learning_note_add",
        "screening_list",
        "screening_record",
        "wish_post",
    }
)


# The schools' operations about one child are logged with their routes too, by a teacher or
# registry staff (care365/network/tests/test_schools.py).
SCHOOL_CHILD_OPERATIONS = frozenset({"school_absences_record", "school_child_attendance"})


def test_the_single_child_operations_are_found(openapi: dict[str, Any]) -> None:
    assert _single_child_operations(openapi) == [
        "access_log_list",
        "child_confirm_id",
        "child_exit",
        "child_get",
        "child_register",
        "child_reveal_id",
        "child_team",
        "child_update",
        "consent_list",
        "consent_record",
        "consent_withdraw",
        *sorted(CARE_CHILD_OPERATIONS | SCHOOL_CHILD_OPERATIONS),
    ]


def test_every_single_child_operation_writes_an_access_log_row_with_its_route(
    api: Api, personas: Personas, openapi: dict[str, Any]
) -> None:
    bodies: dict[str, Any] = {
        "child_update": {"school": "城关小学"},
        "child_exit": {"reason": "moved_away"},
        "child_reveal_id": {"reason": "核对户籍信息以办理低保"},
        "child_confirm_id": {"id_number": "331127201501010018", "reason": "核对监护人提供的户口簿"},
        "child_register": registration(personas.village_a.pk),
        "consent_record": {"purpose": "health_screening"},
        "consent_withdraw": {"purpose": "registry"},
    }
    for op in _single_child_operations(openapi):
        if op in CARE_CHILD_OPERATIONS | SCHOOL_CHILD_OPERATIONS:
            continue
        child = LeftBehindChildFactory.create(village=personas.village_a)
        if op == "consent_withdraw":
            Consent.objects.create(child=child, purpose="registry", given_on=date(2025, 1, 1))
        method, path = operations(openapi)[op]
        query = {"child": child.pk} if op == "access_log_list" else None
        last = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

        response = api.call(
            method,
            path.replace("{child_id}", str(child.pk)),
            user=personas.admin,
            body=bodies.get(op),
            query=query,
        )

        assert response.status_code in (200, 201), (op, response.content)
        shown = response.json()["id"] if op == "child_register" else child.pk
        rows = AccessLog.objects.filter(pk__gt=last)
        assert [(r.child_id, r.user_id, r.route) for r in rows] == [
            (shown, personas.admin.pk, f"api:{op}")
        ], op


def test_list_count_is_exact_up_to_the_cap(
    api: Api, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    from care365.accounts import selectors

    for _ in range(3):
        LeftBehindChildFactory.create(village=personas.village_a)
    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    capped = api.get("/children", user=personas.admin).json()
    assert (capped["count"], capped["count_is_exact"]) == (3, False)
    assert len(capped["items"]) == 5  # the page itself is not cut
    monkeypatch.setattr(selectors, "COUNT_CAP", 100)
    exact = api.get("/children", user=personas.admin).json()
    assert (exact["count"], exact["count_is_exact"]) == (5, True)
