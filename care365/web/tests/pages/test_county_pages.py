"""The county's own pages, as a county administrator uses them: errors beside their fields in
both languages, the confirmation steps (deactivating a carer, merging villages, approving a
county-wide plan), assigning a carer by hand and raising a capacity from the pairing pages."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from care365.accounts.models import Role, User
from care365.areas.models import Area
from care365.areas.tests.factories import VillageFactory
from care365.care.services.plans import plans_rewrite_pending
from care365.carers.models import Carer, Organisation
from care365.pairing import services as pairing_services
from care365.pairing.models import Pairing, PairingRun, PairRule
from care365.pairing.tests.factories import County, small_county
from care365.registry.tests.factories import LeftBehindChildFactory
from conftest import Personas

pytestmark = pytest.mark.django_db

PHONE = {
    "en": "landline with its area code",
    "zh-hans": "带区号的固定电话",
}


def error_beside(html: str, field: str) -> list[str]:
    return re.findall(rf'<p class="error" id="id_{re.escape(field)}_error">(.*?)</p>', html)


def test_the_county_entry_is_in_the_navigation_of_administrators_only(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.admin)
    home = client.get(reverse("web:home")).content.decode()
    assert 'id="nav-county"' in home
    hub = client.get(reverse("web:county"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for name in (
        "carers:carer-list",
        "accounts:user-list",
        "areas:area-list",
        "care:care-settings",
    ):
        assert reverse(name) in hub
    assert "乡镇和村" in hub
    client.force_login(personas.director_a)
    assert 'id="nav-county"' not in client.get(reverse("web:home")).content.decode()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_carer_with_a_bad_phone_is_refused_beside_the_field(
    client: Client, personas: Personas, language: str
) -> None:
    client.force_login(personas.admin)
    station = Organisation.objects.get(carers=personas.officer.carer)
    data = {
        "role": "police",
        "name": "王警官",
        "sex": "M",
        "phone": "5081234",
        "organisation": station.pk,
        "capacity": "0",
    }
    response = client.post(
        reverse("carers:carer-add") + "?role=police", data, HTTP_ACCEPT_LANGUAGE=language
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert PHONE[language] in error_beside(html, "phone")[0]
    assert error_beside(html, "capacity")
    assert not Carer.objects.filter(name="王警官").exists()
    data.update(phone="13700001111", capacity="20", service_areas=[personas.village_b.pk])
    added = client.post(reverse("carers:carer-add"), data)
    assert added.status_code == 302
    carer = Carer.objects.get(name="王警官")
    assert list(carer.service_areas.all()) == [personas.village_b]


def test_a_director_proposes_a_volunteer_but_cannot_edit_carers(
    client: Client, personas: Personas
) -> None:
    group = Organisation.objects.get(carers=personas.volunteer.carer)
    client.force_login(personas.director_a)
    page = client.get(reverse("carers:carer-add") + "?role=police")
    assert page.status_code == 200 and page.context["role"] == "volunteer"
    added = client.post(
        reverse("carers:carer-add"),
        {
            "name": "陈姐",
            "sex": "F",
            "organisation": group.pk,
            "capacity": "3",
            "service_areas": [personas.village_a.pk],
        },
    )
    assert added.status_code == 302
    carer = Carer.objects.get(name="陈姐")
    assert carer.role == "volunteer" and carer.background_check == ""
    assert client.get(reverse("carers:carer-edit", args=[carer.pk])).status_code == 404


def test_deactivating_a_carer_asks_first_and_says_their_pairings_end(
    client: Client, paired_personas: Personas
) -> None:
    p = paired_personas
    doctor = p.doctor.carer
    assert doctor is not None
    client.force_login(p.admin)
    url = reverse("carers:carer-deactivate", args=[doctor.pk])
    confirm = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 child has this carer today." in confirm
    assert "gaps for the next pairing run" in confirm
    doctor.refresh_from_db()
    assert doctor.active  # nothing happens on the confirmation page
    assert client.post(url).status_code == 302
    doctor.refresh_from_db()
    assert not doctor.active
    assert not Pairing.objects.filter(carer=doctor, until=None).exists()


def test_an_organisations_duty_phone_is_checked(client: Client, personas: Personas) -> None:
    client.force_login(personas.admin)
    data = {"kind": "station", "name": "东坑派出所", "area": personas.township_b.pk, "phone": "110"}
    response = client.post(reverse("carers:organisation-add"), data, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert PHONE["zh-hans"] in error_beside(response.content.decode(), "phone")[0]
    data["phone"] = "0578-5081110"
    assert client.post(reverse("carers:organisation-add"), data).status_code == 302
    assert Organisation.objects.get(name="东坑派出所").phone == "0578-5081110"


def test_adding_a_user_shows_their_one_time_link(client: Client, personas: Personas) -> None:
    client.force_login(personas.admin)
    wrong = client.post(
        reverse("accounts:user-add"),
        {"username": "lixiaomei", "role": Role.DIRECTOR, "area": personas.township_a.pk},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert wrong.status_code == 400
    assert error_beside(wrong.content.decode(), "area") == [
        "This role needs an area of level village."
    ]
    added = client.post(
        reverse("accounts:user-add"),
        {"username": "lixiaomei", "role": Role.DIRECTOR, "area": personas.village_a.pk},
    )
    assert added.status_code == 200
    user = User.objects.get(username="lixiaomei")
    assert "/account/set-password/" in added.context["link"]
    assert added.context["link"].startswith("http")
    assert not user.has_usable_password()


def test_a_user_is_deactivated_and_reactivated_from_their_page(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.admin)
    user = personas.director_b
    page = client.get(reverse("accounts:user-edit", args=[user.pk]))
    assert page.status_code == 200
    client.post(reverse("accounts:user-action", args=[user.pk, "deactivate"]))
    user.refresh_from_db()
    assert not user.is_active
    client.post(reverse("accounts:user-action", args=[user.pk, "reactivate"]))
    user.refresh_from_db()
    assert user.is_active
    me = client.get(reverse("accounts:user-edit", args=[personas.admin.pk])).content.decode()
    # No button to lock oneself out.
    assert reverse("accounts:user-action", args=[personas.admin.pk, "deactivate"]) not in me


def test_merging_villages_shows_what_moves_before_merging(
    client: Client, personas: Personas
) -> None:
    absorb = VillageFactory.create(parent=personas.township_a, code="331127101202", name="西弄村")
    LeftBehindChildFactory.create_batch(2, village=absorb)
    client.force_login(personas.admin)
    url = reverse("areas:area-merge")
    confirm = client.get(
        url, {"keep": personas.village_a.pk, "absorb": absorb.pk}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert confirm.status_code == 200 and confirm.context["moving"]
    assert Area.objects.filter(pk=absorb.pk).exists()
    done = client.post(url, {"keep": personas.village_a.pk, "absorb": absorb.pk, "confirm": "1"})
    assert done.status_code == 302
    assert not Area.objects.filter(pk=absorb.pk).exists()


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "Enter 9 or 12 digits."), ("zh-hans", "请输入 9 位或 12 位数字。")],
)
def test_a_new_village_with_a_bad_code_is_refused_beside_the_code(
    client: Client, personas: Personas, language: str, message: str
) -> None:
    client.force_login(personas.admin)
    data = {"level": "village", "parent": personas.township_a.pk, "code": "3311", "name": "新村"}
    response = client.post(reverse("areas:area-add"), data, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 400
    assert error_beside(response.content.decode(), "code") == [message]


def test_the_visit_plan_is_changed_on_its_page(client: Client, personas: Personas) -> None:
    client.force_login(personas.admin)
    url = reverse("care:care-settings")
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v not in (None, False)}
    data["home_visit_days"] = "0"
    bad = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400 and error_beside(bad.content.decode(), "home_visit_days")
    data["home_visit_days"] = "45"
    saved = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert saved.redirect_chain == [(url, 302)]
    assert personas.county.care_settings.home_visit_days == 45
    # The due lists follow within minutes, and the page says so until a worker has rewritten
    # the county's next-due dates.
    rewriting = "The due lists are being worked out again for the new intervals"
    catching_up = "The due lists are being worked out again after the latest change"
    assert rewriting in saved.content.decode()  # the message
    assert catching_up in saved.content.decode()  # the page's lead, while the county is marked
    marked = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "列入风险名单。正在按最近的更改重新计算" in marked  # one paragraph, no space in Chinese
    plans_rewrite_pending()
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "正在按最近的更改重新计算" not in page and "正在按新的间隔重新计算" not in page
    assert catching_up not in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert (
        "正在按新的间隔重新计算"
        in client.post(
            url, {**data, "home_visit_days": "30"}, HTTP_ACCEPT_LANGUAGE="zh-hans", follow=True
        ).content.decode()
    )


# Pairing -----------------------------------------------------------------------------------------


@pytest.fixture
def small(db: None) -> County:
    return small_county()


def test_approving_a_plan_asks_for_confirmation_with_a_summary(
    client: Client, small: County
) -> None:
    run = pairing_services.pairing_propose(actor=small.admin, county=small.county)
    client.force_login(small.admin)
    url = reverse("pairing:pairing-approve", args=[run.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    summary = page.context["summary"]
    assert summary.children_unpaired >= 1 and summary.new_pairs >= 1
    run.refresh_from_db()
    assert run.state == PairingRun.State.PROPOSED
    assert client.post(url).status_code == 302
    run.refresh_from_db()
    assert run.state == PairingRun.State.APPROVED


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "The due lists are being worked out again for the new pairings"),
        ("zh-hans", "正在按新的结对重新计算待办清单"),
    ],
)
def test_a_large_approval_says_the_due_lists_follow_within_minutes(
    client: Client, small: County, monkeypatch: pytest.MonkeyPatch, language: str, said: str
) -> None:
    client.force_login(small.admin)
    run = pairing_services.pairing_propose(actor=small.admin, county=small.county)
    url = reverse("pairing:pairing-approve", args=[run.pk])
    monkeypatch.setattr("care365.care.services.plans.INLINE_LIMIT", 1)
    page = client.post(url, HTTP_ACCEPT_LANGUAGE=language, follow=True)
    assert said in page.content.decode()
    # Once the worker has rewritten the county, a small approval says nothing of it.
    plans_rewrite_pending()
    monkeypatch.setattr("care365.care.services.plans.INLINE_LIMIT", 100_000)
    run = pairing_services.pairing_propose(actor=small.admin, county=small.county)
    url = reverse("pairing:pairing-approve", args=[run.pk])
    page = client.post(url, HTTP_ACCEPT_LANGUAGE=language, follow=True)
    assert page.status_code == 200 and said not in page.content.decode()


def test_assigning_by_hand_and_raising_a_full_carers_capacity(
    client: Client, small: County
) -> None:
    client.force_login(small.admin)
    url = reverse("pairing:pairing-assign", args=[small.c2.pk, "doctor"])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    row = next(c for c in page.context["candidates"] if c.carer == small.d1)
    assert row.full  # capacity 1, already c1's doctor
    html = page.content.decode()
    assert reverse("pairing:carer-capacity", args=[small.d1.pk]) in html
    refused = client.post(url, {"carer": small.d1.pk}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert refused.status_code == 400 and "请先提高其结对容量" in refused.content.decode()
    raised = client.post(
        reverse("pairing:carer-capacity", args=[small.d1.pk]), {"capacity": "2", "next": url}
    )
    assert raised.status_code == 302 and raised["Location"] == url
    assigned = client.post(url, {"carer": small.d1.pk})
    assert assigned.status_code == 302
    assert Pairing.objects.filter(child=small.c2, carer=small.d1, until=None).exists()
    assert PairRule.objects.filter(child=small.c2, carer=small.d1, kind="lock").exists()
