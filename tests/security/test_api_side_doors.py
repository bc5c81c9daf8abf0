"""Side doors through the API (issue 12): break-the-glass for responders only and its failed
attempts kept, ID-number probes at registration kept and turned into transfer requests,
refusals logged as refusals, and names normalised before they are saved and compared."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone, translation

from care365.accounts.models import AccessGrant, AccessLog, AccessPurpose
from care365.accounts.tests.api_client import Api
from care365.care.tests.factories import pair, team
from care365.core.models import AuditEvent, Notice
from care365.registry.models import Child, DuplicateFlag, Guardian, TransferRequest
from care365.registry.services import BLANK_NAME, TAKEN
from care365.registry.tests.factories import valid_id_number
from conftest import Personas

pytestmark = pytest.mark.django_db

REASON = "代同事值班，儿童走失，需要监护人电话"
BORN = date(2016, 5, 20)
with translation.override("en"):
    TAKEN_EN, BLANK_EN = str(TAKEN), str(BLANK_NAME)
PLACES = ("东弄村", "鹤溪街道", "景宁", "大赤坑村", "红星街道", "庆元", "331127", "331126")


def _open(api: Api, user: Any, id_number: str) -> Any:
    return api.post(
        "/access-log/emergency-access",
        user=user,
        body={"id_number": id_number, "reason": REASON},
    )


def _refusals(child: Child, purpose: str) -> list[tuple[str, str]]:
    return list(
        AccessLog.objects.filter(child=child, purpose=purpose, outcome="refused")
        .order_by("seq")
        .values_list("user__username", "route")
    )


# ---- finding 3: only responders break the glass -------------------------------------------


def test_a_volunteer_may_not_break_the_glass_and_the_attempt_is_kept(
    api: Api, personas: Personas
) -> None:
    child = personas.child_b
    refused = _open(api, personas.volunteer, child.id_number)
    nobody = _open(api, personas.volunteer, valid_id_number(BORN, "F", 977))

    assert refused.status_code == nobody.status_code == 403
    assert refused.json() == nobody.json()  # the answer says nothing of the number
    assert not AccessGrant.objects.exists()
    assert _refusals(child, AccessPurpose.BREAK_GLASS) == [("volunteer", "break-the-glass")]
    assert AuditEvent.objects.filter(action="break_glass_refused", note="role").count() == 1
    assert api.get(f"/children/{child.pk}", user=personas.volunteer).status_code == 404


@pytest.mark.parametrize("who", ["officer", "doctor", "director_a", "supervisor_a", "admin"])
def test_responders_break_the_glass(api: Api, personas: Personas, who: str) -> None:
    user = getattr(personas, who)
    child = personas.child_b
    response = _open(api, user, child.id_number)

    assert response.status_code == 201
    assert api.get(f"/children/{child.pk}", user=user).status_code == 200


def test_a_grant_never_opens_a_child_to_a_volunteer(api: Api, personas: Personas) -> None:
    """Whatever grant exists (one given before the rule, or before a change of role), the
    volunteer sees only children paired with them whose guardian consents."""
    paired_without_consent = personas.child_b
    pair(paired_without_consent, personas.volunteer)
    now = timezone.now()
    for child in (paired_without_consent, personas.child_other):
        AccessGrant.objects.create(
            user=personas.volunteer,
            child=child,
            reason=REASON,
            granted_at=now,
            expires_at=now + timedelta(hours=1),
        )

    for child in (paired_without_consent, personas.child_other):
        assert api.get(f"/children/{child.pk}", user=personas.volunteer).status_code == 404
    assert api.get("/children", user=personas.volunteer).json()["count"] == 0


def test_a_failed_emergency_access_is_kept_and_answers_alike(api: Api, personas: Personas) -> None:
    """A child of another county and a number of nobody: the same 422, and the attempt on the
    child's own access log (its county's administrators see it) or in the audit trail."""
    elsewhere = _open(api, personas.director_a, personas.child_other.id_number)
    nobody = _open(api, personas.director_a, valid_id_number(BORN, "F", 977))

    assert elsewhere.status_code == nobody.status_code == 422
    assert elsewhere.json() == nobody.json()
    assert _refusals(personas.child_other, AccessPurpose.BREAK_GLASS) == [
        ("director", "break-the-glass")
    ]
    assert AuditEvent.objects.filter(
        action="break_glass_refused", note="out_of_reach", actor=personas.director_a
    ).exists()
    assert not AccessGrant.objects.exists()


# ---- finding 6: an ID number registered elsewhere --------------------------------------------


def registration(village_id: int, id_number: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "陈小雨",
        "sex": "F",
        "birth_date": BORN.isoformat(),
        "id_number": id_number,
        "village": village_id,
        "guardian": {"name": "陈奶奶", "relationship": "grandmother"},
    }
    return body | overrides


def test_registering_a_number_of_another_village_is_kept_and_asks_the_county(
    api: Api, personas: Personas
) -> None:
    child = personas.child_a  # village A
    body = registration(
        personas.village_b.pk,
        child.id_number,
        birth_date=child.birth_date.isoformat(),
        sex=child.sex,
    )
    counts = Child.objects.count()

    first = api.post("/children", user=personas.director_b, body=body)
    again = api.post("/children", user=personas.director_b, body=body, language="zh-hans")

    assert first.status_code == again.status_code == 422
    assert first.json()["errors"] == {"id_number": [TAKEN_EN]}
    for answer in (first, again):
        assert not [p for p in PLACES if p in answer.content.decode()]
    assert Child.objects.count() == counts
    assert _refusals(child, AccessPurpose.PROBE) == [
        ("director_b", "api:child_register"),
        ("director_b", "api:child_register"),
    ]
    request = TransferRequest.objects.get()  # asked twice, opened once
    assert (request.child, request.village, request.requested_by, request.status) == (
        child,
        personas.village_b,
        personas.director_b,
        "open",
    )
    notices = Notice.objects.filter(kind="transfer_request")
    assert [(n.recipient, n.params) for n in notices] == [
        (personas.admin, {"child": child.pk, "request": request.pk})
    ]


def test_editing_in_a_number_of_another_village_is_kept_too(api: Api, personas: Personas) -> None:
    child, other = personas.child_b, personas.child_a
    response = api.patch(
        f"/children/{child.pk}",
        user=personas.director_b,
        body={
            "id_number": other.id_number,
            "birth_date": other.birth_date.isoformat(),
            "sex": other.sex,
        },
    )

    assert response.status_code == 422
    assert response.json()["errors"] == {"id_number": [TAKEN_EN]}
    assert _refusals(other, AccessPurpose.PROBE) == [("director_b", "api:child_update")]
    assert TransferRequest.objects.filter(child=other, village=personas.village_b).exists()
    child.refresh_from_db()
    assert child.id_number != other.id_number


def test_a_number_already_in_ones_own_village_opens_no_transfer(
    api: Api, personas: Personas
) -> None:
    child = personas.child_a
    body = registration(
        personas.village_a.pk,
        child.id_number,
        birth_date=child.birth_date.isoformat(),
        sex=child.sex,
    )
    response = api.post("/children", user=personas.director_a, body=body)

    assert response.status_code == 422
    assert response.json()["errors"] == {"id_number": [TAKEN_EN]}  # the same answer
    assert _refusals(child, AccessPurpose.PROBE) == [("director", "api:child_register")]
    assert not TransferRequest.objects.exists()


# ---- finding 10: a refusal is logged as one -------------------------------------------------


def test_a_volunteers_refused_examinations_are_logged_as_a_refusal(
    api: Api, personas: Personas
) -> None:
    child = team(personas)
    response = api.get(f"/children/{child.pk}/examinations", user=personas.volunteer)

    assert response.status_code == 403
    rows = list(AccessLog.objects.filter(user=personas.volunteer).values_list("route", "outcome"))
    assert rows == [("api:examination_list", "refused")]


def test_the_access_log_api_shows_each_outcome(api: Api, personas: Personas) -> None:
    child = team(personas)
    api.get(f"/children/{child.pk}/screenings", user=personas.officer)
    api.get(f"/children/{child.pk}", user=personas.officer)

    listed = api.get("/access-log", user=personas.admin, query={"child": child.pk}).json()

    outcomes = [(e["user"]["username"], e["route"], e["outcome"]) for e in listed["items"]]
    assert outcomes[1:] == [
        ("police", "api:child_get", "allowed"),
        ("police", "api:screening_list", "refused"),
    ]


# ---- finding 12: names --------------------------------------------------------------------


def test_a_name_of_spaces_only_is_refused(api: Api, personas: Personas) -> None:
    number = valid_id_number(BORN, "F", 931)
    for field, body in (
        ("name", registration(personas.village_a.pk, number, name=" \u3000 ")),
        ("name", registration(personas.village_a.pk, number, name="\u200b\ufeff")),
        (
            "guardian.name",
            registration(
                personas.village_a.pk,
                number,
                guardian={"name": " \u200b ", "relationship": "grandmother"},
            ),
        ),
    ):
        response = api.post("/children", user=personas.director_a, body=body)
        assert response.status_code == 422, body
        assert response.json()["errors"] == {field: [BLANK_EN]}
    assert not Child.objects.filter(id_number_hash__isnull=False, name="").exists()
    blank = api.patch(
        f"/children/{personas.child_a.pk}", user=personas.director_a, body={"name": "   "}
    )
    assert blank.status_code == 422
    assert blank.json()["errors"] == {"name": [BLANK_EN]}


def test_invisible_and_trailing_spaces_do_not_escape_duplicate_detection(
    api: Api, personas: Personas
) -> None:
    first = api.post(
        "/children",
        user=personas.director_a,
        body=registration(
            personas.village_a.pk,
            valid_id_number(BORN, "F", 941),
            name="陈\u200b小雨",
            guardian={"name": "陈奶奶 ", "relationship": "grandmother"},
        ),
    )
    second = api.post(
        "/children",
        user=personas.director_a,
        body=registration(personas.village_a.pk, valid_id_number(BORN, "F", 942), name="陈小雨 "),
    )

    assert first.status_code == second.status_code == 201
    assert first.json()["name"] == second.json()["name"] == "陈小雨"
    flag = DuplicateFlag.objects.get()
    assert {flag.child_id, flag.other_id} == {first.json()["id"], second.json()["id"]}
    assert Guardian.objects.get(child_id=first.json()["id"]).name == "陈奶奶"


def test_an_edited_name_is_normalised(api: Api, personas: Personas) -> None:
    response = api.patch(
        f"/children/{personas.child_a.pk}",
        user=personas.director_a,
        body={"name": " 欧阳\u3000 小花\u2060 ", "mother": {"name": "ＬＩ　ＭＥＩ\u200d "}},
    )

    assert response.status_code == 200
    assert response.json()["name"] == "欧阳 小花"
    assert {p["role"]: p["name"] for p in response.json()["parents"]}["mother"] == "LI MEI"


def test_break_the_glass_counts_as_a_look_up_by_id_number(
    api: Api, personas: Personas, settings: Any
) -> None:
    """Break-the-glass names a child by the full ID number, so it is throttled and logged like
    any other look-up by number: an officer cannot try number after number for "no child of
    your county" and a record."""
    from care365.accounts.models import IdLookup
    from care365.registry import idnumber

    settings.ID_LOOKUPS_PER_HOUR = 2
    nobody = idnumber.make("331127", BORN, 7)
    answers = [
        _open(api, personas.officer, nobody).status_code,
        _open(api, personas.officer, personas.child_b.id_number).status_code,
        _open(api, personas.officer, personas.child_b.id_number).status_code,
    ]
    assert answers == [422, 201, 422]
    # Past the limit nothing was opened a second time.
    assert AccessGrant.objects.filter(user=personas.officer).count() == 1
    lookups = list(
        IdLookup.objects.filter(user=personas.officer)
        .order_by("seq")
        .values_list("kind", "child_id", "matched", "throttled")
    )
    assert lookups == [
        ("break_glass", None, 0, False),
        ("break_glass", personas.child_b.pk, 1, False),
        ("break_glass", None, 0, True),
    ]
    assert not [n for n in IdLookup.objects.values_list("number_hash", flat=True) if n == nobody]


def test_registration_probes_are_throttled_like_look_ups_by_id_number(
    api: Api, personas: Personas, settings: Any
) -> None:
    """Each "already registered" is a look-up that found a child. Past the hour's share, every
    registration is refused, a number on record or not: refusing only those on record would
    answer the question all the same."""
    from care365.accounts.models import IdLookup

    settings.ID_LOOKUPS_PER_HOUR = 2
    taken = personas.child_a
    probe = registration(
        personas.village_b.pk,
        taken.id_number,
        birth_date=taken.birth_date.isoformat(),
        sex=taken.sex,
    )
    answers = [api.post("/children", user=personas.director_b, body=probe) for _ in range(2)]
    assert [a.json()["errors"] for a in answers] == [{"id_number": [TAKEN_EN]}] * 2

    fresh = registration(personas.village_b.pk, valid_id_number(BORN, "F", 555))
    counts = Child.objects.count()
    refused = api.post("/children", user=personas.director_b, body=fresh)
    again = api.post("/children", user=personas.director_b, body=probe)
    assert refused.status_code == again.status_code == 422
    assert refused.json() == again.json()  # the same answer, number on record or not
    assert "2 ID numbers within the hour" in refused.json()["detail"]
    assert Child.objects.count() == counts
    assert (
        list(IdLookup.objects.filter(user=personas.director_b).values_list("kind", "child_id"))
        == [("registration", taken.pk)] * 2
    )
    # Another user is not held back.
    other = registration(personas.village_a.pk, valid_id_number(BORN, "F", 557))
    assert api.post("/children", user=personas.director_a, body=other).status_code == 201
