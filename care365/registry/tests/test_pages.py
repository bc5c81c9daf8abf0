"""The children pages as a director, a supervisor and a county admin use them."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from care365.accounts.models import AccessLog, AccessPurpose
from care365.areas.models import Area
from care365.registry import idnumber
from care365.registry.models import (
    Child,
    ChildStatus,
    DuplicateFlag,
    Guardian,
    Parent,
    StatusEndReason,
    StatusKind,
)
from care365.registry.tests.factories import ChildFactory, LeftBehindChildFactory, status_open
from conftest import Personas

pytestmark = pytest.mark.django_db

BORN = date(2016, 5, 4)
NEW_ID = idnumber.make("331127", BORN, 2)  # an even sequence: a girl


def registration(village: Area, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "陈小梅",
        "sex": "F",
        "birth_date": BORN.isoformat(),
        "ethnicity": "she",
        "id_number": NEW_ID,
        "hukou": "rural",
        "village": village.pk,
        "address": "东弄村5号",
        "school": "鹤溪小学",
        "grade": "p3",
        "interests": ["dance", "reading"],
        "languages": ["she"],
        "income_source": "migrant_work",
        "statuses": ["left_behind"],
        "father_situation": "away",
        "father_work_place": "温州",
        "father_away_since": "2024-02-01",
        "father_phone": "13700000001",
        "mother_situation": "away",
        "mother_work_place": "上海",
        "mother_phone": "13700000002",
        "guardian_name": "陈奶奶",
        "guardian_relationship": "grandmother",
        "guardian_phone": "13700000003",
        "guardian_parents_notified_village_on": "2024-03-01",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def error_beside(html: str, field: str) -> list[str]:
    """The error messages rendered beside one field."""
    pattern = rf'<p class="error" id="id_{re.escape(field)}_error">(.*?)</p>'
    return re.findall(pattern, html)


def urls_in(html: str) -> list[str]:
    return re.findall(r'(?:href|action|src)="([^"]*)"', html)


# Registration ---------------------------------------------------------------------------------


def test_director_registers_a_child_with_parents_and_entrusted_carer(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.director_a)
    response = client.post(
        reverse("registry:child-register"),
        registration(personas.village_a),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    child = Child.objects.get(name="陈小梅")
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:child-detail", args=[child.pk])
    assert child.id_number == NEW_ID and child.village == personas.village_a
    assert child.interests == ["dance", "reading"]
    assert list(child.statuses.values_list("kind", flat=True)) == [StatusKind.LEFT_BEHIND]
    assert dict(child.parents.values_list("role", "work_place")) == {
        "father": "温州",
        "mother": "上海",
    }
    guardian = Guardian.objects.get(child=child)
    assert (guardian.name, guardian.phone) == ("陈奶奶", "13700000003")
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert "The child is registered." in page.content.decode()


@pytest.mark.parametrize(
    ("language", "message"),
    [("zh-hans", "该身份证号码的儿童已经登记"), ("en", "already registered")],
)
def test_registering_the_same_id_number_twice_says_already_registered(
    client: Client, personas: Personas, language: str, message: str
) -> None:
    client.force_login(personas.director_a)
    url = reverse("registry:child-register")
    assert client.post(url, registration(personas.village_a)).status_code == 302
    counts = (Child.objects.count(), Parent.objects.count(), Guardian.objects.count())
    again = client.post(
        url, registration(personas.village_a, name="陈小兰"), HTTP_ACCEPT_LANGUAGE=language
    )
    assert again.status_code == 400
    assert any(message in e for e in error_beside(again.content.decode(), "id_number"))
    assert (Child.objects.count(), Parent.objects.count(), Guardian.objects.count()) == counts


@pytest.mark.parametrize(
    ("language", "required", "check_digit"),
    [
        ("zh-hans", "这个字段是必填项。", "最后一位校验码不符，请再核对一遍号码。"),
        ("en", "This field is required.", "The last character does not match"),
    ],
)
def test_errors_appear_beside_each_field_in_the_users_language(
    client: Client, personas: Personas, language: str, required: str, check_digit: str
) -> None:
    client.force_login(personas.director_a)
    url = reverse("registry:child-register")
    # The form's own checks.
    html = client.post(
        url, registration(personas.village_a, name=""), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    assert error_beside(html, "name") == [required]
    assert error_beside(html, "id_number") == []
    # A service's check, keyed by field, lands beside the same field.
    wrong = NEW_ID[:-1] + ("0" if NEW_ID[-1] != "0" else "1")
    html = client.post(
        url, registration(personas.village_a, id_number=wrong), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    assert any(check_digit in e for e in error_beside(html, "id_number"))
    assert error_beside(html, "name") == []
    assert not Child.objects.filter(name="陈小梅").exists()


def test_service_errors_on_parent_and_carer_fields_land_beside_them(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.director_a)
    data = registration(
        personas.village_a, id_number="", guardian_name="", guardian_relationship=""
    )
    response = client.post(reverse("registry:child-register"), data, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 400
    assert error_beside(html, "guardian_name") == [
        "Type the name: spaces or invisible characters alone are not a name."
    ]
    assert error_beside(html, "guardian_relationship")
    # The service is one transaction: the child, statuses and parents were not half-written.
    assert not Child.objects.filter(name="陈小梅").exists()
    assert not ChildStatus.objects.filter(child__name="陈小梅").exists()


def test_a_birth_date_that_disagrees_with_the_id_number_is_shown_beside_the_birth_date(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.director_a)
    data = registration(personas.village_a, birth_date="2016-05-05")
    html = client.post(
        reverse("registry:child-register"), data, HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert error_beside(html, "birth_date") == ["出生日期与身份证号码不符。"]


def test_director_cannot_register_into_another_village(client: Client, personas: Personas) -> None:
    client.force_login(personas.director_a)
    response = client.post(reverse("registry:child-register"), registration(personas.village_b))
    assert response.status_code == 400
    assert error_beside(response.content.decode(), "village")
    assert not Child.objects.filter(name="陈小梅").exists()


def village_options(html: str) -> list[tuple[str, bool]]:
    """The village select's options: (value, selected)."""
    select = re.search(r'<select name="village".*?</select>', html, re.S)
    assert select
    return [
        (value, bool(selected))
        for value, selected in re.findall(r'<option value="([^"]*)"( selected)?', select.group(0))
    ]


def test_a_director_with_one_village_finds_it_chosen(client: Client, personas: Personas) -> None:
    client.force_login(personas.director_a)
    html = client.get(reverse("registry:child-register")).content.decode()
    assert village_options(html) == [(str(personas.village_a.pk), True)]


def test_with_several_villages_none_is_chosen_for_the_user(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.admin)
    options = village_options(client.get(reverse("registry:child-register")).content.decode())
    assert {v for v, _ in options} == {"", str(personas.village_a.pk), str(personas.village_b.pk)}
    assert [v for v, selected in options if selected] == [""]  # the "choose one" line


def test_a_possible_duplicate_is_reported_and_the_director_resolves_it(
    client: Client, personas: Personas
) -> None:
    a = personas.child_a
    client.force_login(personas.director_a)
    data = registration(
        personas.village_a,
        name=a.name,
        sex=a.sex,
        birth_date=a.birth_date.isoformat(),
        id_number="",
    )
    page = client.post(
        reverse("registry:child-register"), data, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "same name, birth date and village is already registered" in page
    flag = DuplicateFlag.objects.get(resolution=DuplicateFlag.Resolution.OPEN)
    home = client.get(reverse("web:home")).content.decode()
    assert reverse("registry:duplicate-resolve", args=[flag.pk]) in home
    response = client.post(
        reverse("registry:duplicate-resolve", args=[flag.pk]), {"resolution": "merged"}
    )
    assert response.status_code == 302
    flag.refresh_from_db()
    newer = Child.objects.get(pk=max(flag.child_id, flag.other_id))
    assert flag.resolution == DuplicateFlag.Resolution.MERGED
    assert newer.exit_reason == "duplicate"
    assert AccessLog.objects.filter(purpose=AccessPurpose.DUPLICATE).count() == 2


# Detail ---------------------------------------------------------------------------------------


def test_director_sees_the_guardian_phone_and_only_a_masked_id_number(
    client: Client, personas: Personas
) -> None:
    child = personas.child_a
    client.force_login(personas.director_a)
    html = client.get(reverse("registry:child-detail", args=[child.pk])).content.decode()
    assert "13900000000" in html  # the entrusted carer's phone
    assert "杭州" in html  # where the parents work
    assert idnumber.mask(child.id_number) in html
    assert child.id_number not in html
    assert reverse("registry:child-reveal-id", args=[child.pk]) not in html
    log = AccessLog.objects.get()
    assert (log.user, log.purpose, log.route) == (
        personas.director_a,
        AccessPurpose.VIEW,
        "registry:child-detail",
    )


def test_county_admin_reveals_the_full_id_number_by_giving_a_reason(
    client: Client, personas: Personas
) -> None:
    child = personas.child_a
    client.force_login(personas.admin)
    url = reverse("registry:child-reveal-id", args=[child.pk])
    html = client.get(reverse("registry:child-detail", args=[child.pk])).content.decode()
    assert url in html and child.id_number not in html
    no_reason = client.post(url, {"reason": ""})
    assert no_reason.status_code == 400
    assert child.id_number not in no_reason.content.decode()
    revealed = client.post(url, {"reason": "派出所核查户籍信息需要"})
    assert revealed.status_code == 200
    assert child.id_number in revealed.content.decode()
    log = AccessLog.objects.get(purpose=AccessPurpose.REVEAL_ID)
    assert (log.user, log.reason, log.route) == (
        personas.admin,
        "派出所核查户籍信息需要",
        "registry:child-reveal-id",
    )


def test_carer_sees_no_child_record_before_pairing(client: Client, personas: Personas) -> None:
    client.force_login(personas.officer)
    response = client.get(reverse("registry:child-detail", args=[personas.child_a.pk]))
    assert response.status_code == 404
    assert personas.child_a.name not in response.content.decode()


# List and search ------------------------------------------------------------------------------


def test_search_by_id_number_finds_the_child_and_the_number_never_enters_a_url(
    client: Client, personas: Personas
) -> None:
    child = personas.child_a
    client.force_login(personas.admin)
    response = client.post(
        reverse("registry:child-search"), {"q": child.id_number, "sex": "F"}, follow=True
    )
    html = response.content.decode()
    assert response.status_code == 200
    visited = [url for url, _ in response.redirect_chain]
    assert visited == [reverse("registry:child-list") + "?sex=F"]
    assert all(child.id_number not in u and child.name not in u for u in visited)
    assert all(child.id_number not in u for u in urls_in(html))
    assert child.name in html
    assert personas.child_b.name not in html
    # The search stays in the session, not the URL, while the filters change.
    again = client.get(reverse("registry:child-list")).content.decode()
    assert child.name in again and personas.child_b.name not in again


def test_search_by_name_then_clear(client: Client, personas: Personas) -> None:
    client.force_login(personas.admin)
    assert client.get(reverse("registry:child-search"))["Location"] == reverse(
        "registry:child-list"
    )
    html = client.post(
        reverse("registry:child-search"), {"q": "小龙"}, follow=True
    ).content.decode()
    assert personas.child_b.name in html and personas.child_a.name not in html
    html = client.post(
        reverse("registry:child-search"), {"q": "小龙", "clear": "1"}, follow=True
    ).content.decode()
    assert personas.child_b.name in html and personas.child_a.name in html


def test_list_shows_only_children_in_scope(client: Client, personas: Personas) -> None:
    client.force_login(personas.supervisor_a)
    html = client.get(reverse("registry:child-list")).content.decode()
    assert personas.child_a.name in html
    assert personas.child_b.name not in html
    assert personas.child_other.name not in html


def test_list_filters_by_status_sex_age_and_area(client: Client, personas: Personas) -> None:
    today = timezone.localdate()
    young = ChildFactory.create(
        village=personas.village_b,
        name="周小宝",
        sex="M",
        birth_date=date(today.year - 4, 1, 1),
    )
    status_open(young, StatusKind.DIFFICULTY_POVERTY, started_on=date(2025, 1, 1))
    client.force_login(personas.admin)
    url = reverse("registry:child-list")

    def names(**params: Any) -> set[str]:
        html = client.get(url, params).content.decode()
        everyone = {personas.child_a.name, personas.child_b.name, young.name}
        return {n for n in everyone if n in html}

    assert names() == {personas.child_a.name, personas.child_b.name, young.name}
    assert names(status="difficulty_poverty") == {young.name}
    assert names(status="left_behind") == {personas.child_a.name, personas.child_b.name}
    assert names(sex="M") == {personas.child_b.name, young.name}
    assert names(age_max=6) == {young.name}
    assert names(age_min=7) == {personas.child_a.name, personas.child_b.name}
    assert names(area=personas.township_a.pk) == {personas.child_a.name}
    assert names(area=personas.village_b.pk) == {personas.child_b.name, young.name}
    # An area outside the user's scope is refused, not used.
    html = client.get(url, {"area": personas.other_village.pk}).content.decode()
    assert personas.child_other.name not in html
    assert error_beside(html, "area")


def test_list_paginates_and_keeps_the_filters(
    client: Client, personas: Personas, settings: Any
) -> None:
    settings.PAGE_SIZE = 2
    for n in range(3):
        LeftBehindChildFactory.create(village=personas.village_a, name=f"吴{n}")
    client.force_login(personas.director_a)
    first = client.get(reverse("registry:child-list"), {"sex": ""}).content.decode()
    assert "?page=2" in first
    second = client.get(reverse("registry:child-list"), {"status": "left_behind", "page": "2"})
    assert "status=left_behind&amp;page=1" in second.content.decode()
    assert len(second.context["rows"]) == 2


def _list_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("registry:child-list"), {"status": "left_behind", "sex": "F"})
    assert response.status_code == 200
    return len(queries)


def test_list_query_count_is_fixed(client: Client, personas: Personas) -> None:
    client.force_login(personas.admin)
    client.post(reverse("registry:child-search"), {"q": "小"})
    few = _list_queries(client)
    for n in range(30):
        LeftBehindChildFactory.create(
            village=personas.village_a if n % 2 else personas.village_b, name=f"小{n}", sex="F"
        )
    many = _list_queries(client)
    # session, user, user's area, villages in scope, emergency accesses, count, the page's ids,
    # its rows, their teams, area choices, and the navigation's count of open alerts
    assert few == many == 11


# Writes ---------------------------------------------------------------------------------------


def test_edit_changes_fields_and_keeps_the_id_number_when_left_blank(
    client: Client, personas: Personas
) -> None:
    child = personas.child_a
    number = child.id_number
    client.force_login(personas.director_a)
    url = reverse("registry:child-edit", args=[child.pk])
    form = client.get(url)
    assert form.status_code == 200
    assert number not in form.content.decode()
    data = registration(
        personas.village_a,
        name=child.name,
        sex=child.sex,
        birth_date=child.birth_date.isoformat(),
        id_number="",
        school="大均中学",
        grade="j1",
        statuses=None,
    )
    response = client.post(url, data)
    assert response.status_code == 302
    child.refresh_from_db()
    assert (child.school, child.grade, child.id_number) == ("大均中学", "j1", number)
    assert child.parents.get(role="father").work_place == "温州"


def test_exit_takes_the_child_out_of_the_list_and_ends_open_statuses(
    client: Client, personas: Personas
) -> None:
    child = personas.child_a
    client.force_login(personas.director_a)
    url = reverse("registry:child-exit", args=[child.pk])
    bad = client.post(url, {"reason": "", "on": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400
    assert error_beside(bad.content.decode(), "reason") == ["This field is required."]
    today = timezone.localdate().isoformat()
    assert client.post(url, {"reason": "moved_away", "on": today}).status_code == 302
    child.refresh_from_db()
    assert child.exit_reason == "moved_away"
    assert not child.statuses.filter(ended_on__isnull=True).exists()
    assert child.name not in client.get(reverse("registry:child-list")).content.decode()
    assert (
        child.name in client.get(reverse("registry:child-list"), {"exited": "1"}).content.decode()
    )
    detail = client.get(
        reverse("registry:child-detail", args=[child.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "This child has left the registry." in detail
    assert reverse("registry:child-edit", args=[child.pk]) not in detail
    assert client.get(url).status_code == 404  # nothing left to exit


def test_statuses_are_added_and_ended_from_the_detail_page(
    client: Client, personas: Personas
) -> None:
    child = personas.child_a
    client.force_login(personas.director_a)
    client.post(
        reverse("registry:status-add", args=[child.pk]), {"add-kind": StatusKind.DIFFICULTY_POVERTY}
    )
    html = client.get(reverse("registry:child-detail", args=[child.pk])).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "every form control on the page has its own id"
    assert 'name="end-reason"' in html and 'name="ret-on"' in html
    assert child.statuses.filter(kind=StatusKind.DIFFICULTY_POVERTY, ended_on=None).exists()
    again = client.post(
        reverse("registry:status-add", args=[child.pk]),
        {"add-kind": StatusKind.DIFFICULTY_POVERTY},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "This status is already open." in again.content.decode()
    client.post(
        reverse("registry:status-end", args=[child.pk, StatusKind.DIFFICULTY_POVERTY]),
        {"end-reason": StatusEndReason.REASSESSED},
    )
    ended = child.statuses.get(kind=StatusKind.DIFFICULTY_POVERTY)
    assert ended.end_reason == StatusEndReason.REASSESSED and ended.ended_on is not None


def test_recording_both_parents_return_ends_left_behind(client: Client, personas: Personas) -> None:
    child = personas.child_a
    client.force_login(personas.director_a)
    for role in ("father", "mother"):
        response = client.post(reverse("registry:parent-return", args=[child.pk, role]))
        assert response.status_code == 302
    status = child.statuses.get(kind=StatusKind.LEFT_BEHIND)
    assert status.end_reason == StatusEndReason.PARENT_RETURNED
    assert set(child.parents.values_list("situation", flat=True)) == {"home"}


def test_a_long_list_counts_up_to_the_cap(
    client: Client, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    from care365.accounts import selectors

    LeftBehindChildFactory.create(village=personas.village_a)
    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    client.force_login(personas.admin)
    page = client.get(reverse("registry:child-list"))
    assert page.context["page"].paginator.count_is_exact is False
    assert "More than 2 children" in page.content.decode() or "超过 2 名" in page.content.decode()
    assert len(page.context["rows"]) == 2  # the pages follow the cap
    monkeypatch.setattr(selectors, "COUNT_CAP", 10)
    exact = client.get(reverse("registry:child-list"))
    assert exact.context["page"].paginator.count == 3
    assert exact.context["page"].paginator.count_is_exact is True
