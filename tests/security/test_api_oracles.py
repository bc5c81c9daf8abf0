"""No oracles through the API (DESIGN.md): filters and searches on fields a role does not see are
refused, look-ups by ID number are for the roles that see ID numbers, throttled and logged as a
keyed hash, and a number is confirmed by match / no match (`child_confirm_id`)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from care365.accounts.models import AccessLog, AccessPurpose, IdLookup, User
from care365.accounts.tests.api_client import Api
from care365.core import crypto
from care365.pairing.models import Pairing
from care365.registry import idnumber
from care365.registry.models import Consent, ConsentPurpose
from care365.registry.names import sort_key
from care365.registry.tests.factories import LeftBehindChildFactory
from conftest import Personas

pytestmark = pytest.mark.django_db

REASON = "核对监护人提供的户口簿"


def pair(personas: Personas, user: User, child: Any) -> None:
    assert user.carer is not None
    Pairing.objects.create(
        child=child, role=user.carer.role, carer=user.carer, since=date(2026, 1, 1)
    )
    if user.carer.role == "volunteer":
        Consent.objects.get_or_create(
            child=child,
            purpose=ConsentPurpose.VOLUNTEER,
            withdrawn_on=None,
            defaults={"given_on": date(2025, 1, 1)},
        )


def refused(response: Any, *params: str) -> bool:
    body = response.json()
    return (
        response.status_code == 422
        and set(body) == {"detail", "errors"}
        and all(p in body["errors"] for p in params)
    )


def test_volunteer_cannot_filter_by_sex_or_status(api: Api, personas: Personas) -> None:
    pair(personas, personas.volunteer, personas.child_a)
    for query in ({"sex": "M"}, {"status": "difficulty_poverty"}):
        response = api.get("/children", user=personas.volunteer, query=query)
        assert refused(response, *query), response.content
    # What the volunteer may use still works.
    shown = api.get("/children", user=personas.volunteer, query={"age_max": 17})
    assert [c["id"] for c in shown.json()["items"]] == [personas.child_a.pk]


def test_officer_and_doctor_cannot_filter_by_status_but_by_sex(
    api: Api, personas: Personas
) -> None:
    for user in (personas.officer, personas.doctor):
        pair(personas, user, personas.child_a)
        response = api.get("/children", user=user, query={"status": "difficulty_poverty"})
        assert refused(response, "status")
        search = api.post("/children/search", user=user, body={"q": "张", "status": "left_behind"})
        assert refused(search, "status")
        by_sex = api.get("/children", user=user, query={"sex": "F"})
        assert [c["id"] for c in by_sex.json()["items"]] == [personas.child_a.pk]


def test_the_refusal_is_in_the_users_language(api: Api, personas: Personas) -> None:
    pair(personas, personas.volunteer, personas.child_a)
    response = api.get("/children", user=personas.volunteer, query={"sex": "F"}, language="zh-hans")
    assert response.status_code == 422
    message = response.json()["errors"]["sex"][0]
    assert (
        message
        != "Your role cannot filter, search or sort by this: it does not see this information."
    )
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message)


def test_volunteer_cannot_confirm_a_full_id_number_by_searching(
    api: Api, personas: Personas
) -> None:
    pair(personas, personas.volunteer, personas.child_a)
    response = api.post(
        "/children/search", user=personas.volunteer, body={"q": personas.child_a.id_number}
    )
    assert refused(response, "q")
    assert personas.child_a.id_number not in response.content.decode()
    assert not IdLookup.objects.exists()


def test_volunteer_name_search_matches_the_given_name_only(api: Api, personas: Personas) -> None:
    child = personas.child_a  # 张小花: the volunteer is shown 小花
    pair(personas, personas.volunteer, child)
    surname = api.post("/children/search", user=personas.volunteer, body={"q": "张"})
    assert surname.status_code == 200 and surname.json()["items"] == []
    given = api.post("/children/search", user=personas.volunteer, body={"q": "小花"})
    assert [c["id"] for c in given.json()["items"]] == [child.pk]
    # Registry staff, who see the full name, find the child by the surname.
    staff = api.post("/children/search", user=personas.director_a, body={"q": "张"})
    assert [c["id"] for c in staff.json()["items"]] == [child.pk]


def test_a_volunteers_list_is_not_in_surname_order(api: Api, personas: Personas) -> None:
    # Registered first but with a later surname in the collation: by name it would come second.
    first = LeftBehindChildFactory.create(village=personas.village_a, name="赵小明")
    second = LeftBehindChildFactory.create(village=personas.village_a, name="白小亮")
    for child in (first, second):
        pair(personas, personas.volunteer, child)
    shown = api.get("/children", user=personas.volunteer).json()["items"]
    assert [c["id"] for c in shown] == sorted([first.pk, second.pk])
    staff = api.get("/children", user=personas.director_a, query={"limit": 100}).json()["items"]
    names = [c["name"] for c in staff]
    assert names == sorted(names, key=sort_key)  # by pinyin: 白 (bai), 张 (zhang), 赵 (zhao)


def test_search_by_id_number_is_logged_as_a_keyed_hash(api: Api, personas: Personas) -> None:
    child = personas.child_a
    found = api.post("/children/search", user=personas.director_a, body={"q": child.id_number})
    assert [c["id"] for c in found.json()["items"]] == [child.pk]
    nobody = idnumber.make("331127", date(2016, 1, 1), 123)
    missed = api.post("/children/search", user=personas.director_a, body={"q": nobody})
    assert missed.json()["items"] == []

    lookups = list(IdLookup.objects.order_by("seq"))
    assert [(x.kind, x.matched, x.throttled) for x in lookups] == [
        ("search", 1, False),
        ("search", 0, False),
    ]
    assert lookups[0].number_hash == crypto.lookup_hash(child.id_number)
    assert lookups[1].number_hash == crypto.lookup_hash(nobody)
    assert {x.county_id for x in lookups} == {personas.county.pk}
    assert {x.route for x in lookups} == {"api:child_search"}
    # The child found has it in its access log; nothing anywhere holds the number itself.
    entry = AccessLog.objects.get(child=child, purpose=AccessPurpose.ID_SEARCH)
    assert entry.user == personas.director_a
    for row in IdLookup.objects.values():
        assert child.id_number not in str(row) and nobody not in str(row)


def test_search_by_id_number_is_throttled_per_user(
    api: Api, personas: Personas, settings: Any
) -> None:
    settings.ID_LOOKUPS_PER_HOUR = 3
    numbers = [idnumber.make("331127", date(2016, 1, 1), n) for n in range(5)]
    answers = [
        api.post("/children/search", user=personas.director_a, body={"q": n}).status_code
        for n in numbers
    ]
    assert answers == [200, 200, 200, 422, 422]
    refusal = api.post("/children/search", user=personas.director_a, body={"q": numbers[0]})
    assert "3 ID numbers within the hour" in refusal.json()["detail"]
    # The refusals are logged too; another user is not held back by this one.
    assert IdLookup.objects.filter(user=personas.director_a, throttled=True).count() == 3
    other = api.post("/children/search", user=personas.admin, body={"q": numbers[0]})
    assert other.status_code == 200
    # A name search is not a look-up by ID number.
    assert (
        api.post("/children/search", user=personas.director_a, body={"q": "张"}).status_code == 200
    )


def test_confirm_id_answers_match_or_no_match_and_is_logged(api: Api, personas: Personas) -> None:
    child = personas.child_a
    url = f"/children/{child.pk}/confirm-id"
    yes = api.post(
        url, user=personas.director_a, body={"id_number": child.id_number, "reason": REASON}
    )
    assert yes.status_code == 200 and yes.json() == {"match": True}
    other = idnumber.make("331127", child.birth_date, 2)
    no = api.post(url, user=personas.director_a, body={"id_number": other, "reason": REASON})
    assert no.json() == {"match": False}
    assert child.id_number not in yes.content.decode() + no.content.decode()

    entries = AccessLog.objects.filter(child=child, purpose=AccessPurpose.CONFIRM_ID)
    assert [(e.user_id, e.reason, e.route) for e in entries] == [
        (personas.director_a.pk, REASON, "api:child_confirm_id")
    ] * 2
    lookups = IdLookup.objects.order_by("seq")
    assert [(x.kind, x.child_id, x.matched, x.reason) for x in lookups] == [
        ("confirm", child.pk, 1, REASON),
        ("confirm", child.pk, 0, REASON),
    ]


def test_confirm_id_is_for_roles_that_see_the_masked_number(api: Api, personas: Personas) -> None:
    child = personas.child_a
    pair(personas, personas.officer, child)
    body = {"id_number": child.id_number, "reason": REASON}
    url = f"/children/{child.pk}/confirm-id"
    assert api.post(url, user=personas.officer, body=body).status_code == 403
    assert api.post(url, user=personas.director_b, body=body).status_code == 404
    assert api.post(url, user=personas.supervisor_a, body=body).json() == {"match": True}
    assert not AccessLog.objects.filter(user=personas.officer).exists()


def test_confirm_id_needs_a_real_reason_and_a_whole_number(api: Api, personas: Personas) -> None:
    child = personas.child_a
    url = f"/children/{child.pk}/confirm-id"
    short = api.post(url, user=personas.admin, body={"id_number": child.id_number, "reason": "x"})
    assert refused(short, "reason")
    part = api.post(url, user=personas.admin, body={"id_number": "331127", "reason": REASON})
    assert refused(part, "id_number")
    assert not IdLookup.objects.exists()
    assert not AccessLog.objects.filter(purpose=AccessPurpose.CONFIRM_ID).exists()


def test_confirm_id_shares_the_hourly_limit_with_searches(
    api: Api, personas: Personas, settings: Any
) -> None:
    settings.ID_LOOKUPS_PER_HOUR = 2
    child = personas.child_a
    api.post("/children/search", user=personas.director_a, body={"q": child.id_number})
    url = f"/children/{child.pk}/confirm-id"
    body = {"id_number": child.id_number, "reason": REASON}
    assert api.post(url, user=personas.director_a, body=body).status_code == 200
    throttled = api.post(url, user=personas.director_a, body=body)
    assert throttled.status_code == 422
    assert "within the hour" in throttled.json()["detail"]


@pytest.mark.parametrize("reason", ["x", "..........", "1234567890", "aaaaaaaaaaaa", "核对"])
def test_reveal_id_refuses_a_reason_that_is_not_a_sentence(
    api: Api, personas: Personas, reason: str
) -> None:
    response = api.post(
        f"/children/{personas.child_a.pk}/reveal-id", user=personas.admin, body={"reason": reason}
    )
    assert refused(response, "reason")
    assert not AccessLog.objects.filter(purpose=AccessPurpose.REVEAL_ID).exists()


def test_break_the_glass_refuses_a_reason_that_is_not_a_sentence(
    api: Api, personas: Personas
) -> None:
    body = {"id_number": personas.child_b.id_number, "reason": "急急急急急急急急急急"}
    response = api.post("/access-log/emergency-access", user=personas.director_a, body=body)
    assert refused(response, "reason")
