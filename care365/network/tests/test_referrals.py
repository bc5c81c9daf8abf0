"""Referrals (转介): the life cycle, overdue and its reminder, who may refer and see, bad input
in both languages with nothing written, the child page's section, and the organisations' kinds
and services (docs/network.md)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from care365.accounts.models import AccessLog
from care365.accounts.tests.api_client import Api
from care365.carers.models import Organisation
from care365.carers.tests.factories import OrganisationFactory
from care365.core.models import AuditEvent, Notice
from care365.network import services
from care365.network.models import Referral
from conftest import Personas

pytestmark = pytest.mark.django_db


def agency(p: Personas, **kwargs: Any) -> Organisation:
    """A social-work agency of the personas' county offering counselling and legal aid."""
    values: dict[str, Any] = {
        "kind": Organisation.Kind.SOCIAL_WORK,
        "name": "景宁县阳光社工服务中心",
        "area": p.county,
        "services": ["counselling", "legal_aid"],
        "contact_name": "李社工",
        "contact_phone": "13905781234",
    }
    values.update(kwargs)
    return OrganisationFactory.create(**values)


def body(p: Personas, org: Organisation, **changes: Any) -> dict[str, Any]:
    data = {
        "child": p.child_a.pk,
        "organisation": org.pk,
        "service": "counselling",
        "reason": "父母外出后孩子情绪低落，需要心理辅导",
    }
    data.update(changes)
    return data


def refer(api: Api, p: Personas, org: Organisation, who: str = "director_a", **changes: Any) -> Any:
    return api.post("/referrals", user=getattr(p, who), body=body(p, org, **changes))


def test_referral_life_cycle_sent_accepted_done_with_audit(api: Api, personas: Personas) -> None:
    org = agency(personas)
    response = refer(api, personas, org)
    assert response.status_code == 201, response.content
    made = response.json()
    assert made["state"] == "sent"
    assert made["due_on"] == (timezone.localdate() + timedelta(days=14)).isoformat()
    rid = made["id"]

    # A supervisor sees it but records nothing for the organisation.
    refused = api.post(f"/referrals/{rid}/accept", user=personas.supervisor_a)
    assert refused.status_code == 403
    accepted = api.post(f"/referrals/{rid}/accept", user=personas.admin)
    assert accepted.status_code == 200
    assert accepted.json()["state"] == "accepted"
    again = api.post(f"/referrals/{rid}/accept", user=personas.admin)
    assert again.status_code == 409
    done = api.post(
        f"/referrals/{rid}/done",
        user=personas.admin,
        body={"what_done": "每周一次心理辅导，共六次", "outcome": "情绪明显好转，已回到正常学习"},
    )
    assert done.status_code == 200
    assert done.json()["state"] == "done"
    assert done.json()["outcome"] == "情绪明显好转，已回到正常学习"
    assert api.post(f"/referrals/{rid}/accept", user=personas.admin).status_code == 409
    actions = list(
        AuditEvent.objects.filter(object_type="network.referral", object_id=rid)
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["referral_create", "referral_accept", "referral_done"]
    # What the referral says about the child is encrypted at rest.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT reason, outcome FROM network_referral WHERE id = %s", [rid])
        stored = cursor.fetchone()
    assert "心理" not in stored[0] and "情绪" not in stored[1]


def test_decline_needs_a_reason_and_then_closes(api: Api, personas: Personas) -> None:
    rid = refer(api, personas, agency(personas)).json()["id"]
    empty = api.post(f"/referrals/{rid}/decline", user=personas.admin, body={"reason": "  "})
    assert empty.status_code == 422
    assert "reason" in empty.json()["errors"]
    assert Referral.objects.get(pk=rid).state == "sent"
    declined = api.post(
        f"/referrals/{rid}/decline", user=personas.admin, body={"reason": "本月名额已满"}
    )
    assert declined.status_code == 200
    assert declined.json()["decline_reason"] == "本月名额已满"
    done = api.post(
        f"/referrals/{rid}/done", user=personas.admin, body={"what_done": "x", "outcome": "y"}
    )
    assert done.status_code == 409


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "This field is required."), ("zh-hans", "这个字段是必填项。")],
)
def test_bad_input_in_both_languages_writes_nothing(
    api: Api, personas: Personas, language: str, words: str
) -> None:
    org = agency(personas)
    other = agency(personas, area=personas.other_village, name="别县社工")
    response = api.post(
        "/referrals",
        user=personas.director_a,
        body=body(personas, org, service="financial_aid", reason=" "),
        language=language,
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"service", "reason"}
    assert errors["reason"] == [words]
    elsewhere = api.post(
        "/referrals",
        user=personas.director_a,
        body=body(personas, other),
        language=language,
    )
    assert elsewhere.status_code == 422
    assert set(elsewhere.json()["errors"]) == {"organisation"}
    assert not Referral.objects.exists()
    assert not AuditEvent.objects.filter(action="referral_create").exists()


def test_bad_input_on_the_page_in_chinese(client: Client, personas: Personas) -> None:
    org = agency(personas)
    client.force_login(personas.director_a)
    url = reverse("network:referral-add", args=[personas.child_a.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    assert org.name in page.content.decode()
    response = client.post(
        url,
        {"organisation": "abc", "service": "nothing", "reason": ""},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "这个字段是必填项。" in text
    assert not Referral.objects.exists()
    sent = client.post(
        url,
        {"organisation": org.pk, "service": "legal_aid", "reason": "监护人需要法律援助"},
    )
    assert sent.status_code == 302
    referral = Referral.objects.get()
    assert sent["Location"] == reverse("network:referral-detail", args=[referral.pk])


def test_who_may_refer_follows_the_childs_scope(api: Api, paired_personas: Personas) -> None:
    p = paired_personas
    org = agency(p)
    for who in ("admin", "supervisor_a", "director_a", "officer", "doctor", "volunteer"):
        assert refer(api, p, org, who).status_code == 201, who
    # Child A is not theirs: not found, as a missing child.
    for who in ("director_b", "other_admin"):
        assert refer(api, p, org, who).status_code == 404, who
    # Child B has no carer yet.
    for who in ("officer", "volunteer"):
        assert refer(api, p, org, who, child=p.child_b.pk).status_code == 404, who
    assert refer(api, p, org, "outsider").status_code == 404
    assert refer(api, p, org, "province_official").status_code == 404
    assert Referral.objects.count() == 6


def test_who_sees_a_referral(api: Api, paired_personas: Personas) -> None:
    p = paired_personas
    org = agency(p)
    rid = refer(api, p, org, "doctor").json()["id"]
    for who in ("admin", "supervisor_a", "director_a", "officer", "doctor"):
        got = api.get("/referrals", user=getattr(p, who)).json()
        assert [r["id"] for r in got["items"]] == [rid], who
    # A volunteer sees only the referrals they made; another village's director none.
    for who in ("volunteer", "director_b", "other_admin"):
        assert api.get("/referrals", user=getattr(p, who)).json()["items"] == [], who
    assert api.get("/referrals", user=p.outsider).status_code == 403
    # The other county's administrator answers for none of it.
    assert api.post(f"/referrals/{rid}/accept", user=p.other_admin).status_code == 404
    assert api.post(f"/referrals/{rid}/accept", user=p.director_b).status_code == 404


def test_overdue_list_and_one_reminder_to_the_referrer(
    api: Api, client: Client, personas: Personas
) -> None:
    org = agency(personas)
    late = refer(api, personas, org).json()["id"]
    on_time = refer(api, personas, org).json()["id"]
    closed = refer(api, personas, org).json()["id"]
    past = timezone.localdate() - timedelta(days=1)
    Referral.objects.filter(pk__in=[late, closed]).update(due_on=past)
    api.post(
        f"/referrals/{closed}/done", user=personas.admin, body={"what_done": "a", "outcome": "b"}
    )

    for who in ("admin", "supervisor_a", "director_a"):
        got = api.get("/referrals", user=getattr(personas, who), query={"overdue": "true"}).json()
        assert [r["id"] for r in got["items"]] == [late], who
        assert got["items"][0]["overdue"] is True
    assert (
        api.get("/referrals", user=personas.director_b, query={"overdue": "true"}).json()["items"]
        == []
    )
    client.force_login(personas.supervisor_a)
    page = client.get(reverse("network:referral-list")).content.decode()
    assert 'id="referrals-overdue"' in page and f"#{late} " in page
    assert on_time != late

    today = timezone.localdate()
    assert services.referrals_remind_overdue(today) == 1
    assert services.referrals_remind_overdue(today) == 0  # once per referral
    notice = Notice.objects.get(kind="referral_overdue")
    assert notice.recipient == personas.director_a
    assert notice.params == {"referral": late, "due": past.isoformat()}
    client.force_login(personas.director_a)
    home = client.get(reverse("web:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Referral #{late} is past its due date" in home


def test_child_page_shows_referrals_only_to_those_who_see_the_child(
    api: Api, client: Client, personas: Personas
) -> None:
    rid = refer(api, personas, agency(personas)).json()["id"]
    link = reverse("network:referral-detail", args=[rid])
    child_page = reverse("registry:child-detail", args=[personas.child_a.pk])
    for who in ("admin", "supervisor_a", "director_a"):
        client.force_login(getattr(personas, who))
        response = client.get(child_page)
        assert response.status_code == 200
        assert link in response.content.decode(), who
    client.force_login(personas.director_b)
    assert client.get(child_page).status_code == 404
    assert client.get(link).status_code == 404
    client.force_login(personas.admin)
    before = AccessLog.objects.filter(child_id=personas.child_a.pk).count()
    detail = client.get(link)
    assert detail.status_code == 200
    assert "父母外出后孩子情绪低落" in detail.content.decode()
    assert AccessLog.objects.filter(child_id=personas.child_a.pk).count() == before + 1


def test_answers_on_the_page(api: Api, client: Client, personas: Personas) -> None:
    rid = refer(api, personas, agency(personas)).json()["id"]
    client.force_login(personas.admin)
    step = "network:referral-step"
    bad = client.post(reverse(step, args=[rid, "decline"]), {"decline-reason": ""})
    assert bad.status_code == 400
    assert Referral.objects.get(pk=rid).state == "sent"
    ok = client.post(reverse(step, args=[rid, "accept"]))
    assert ok.status_code == 302
    client.post(
        reverse(step, args=[rid, "done"]), {"done-what_done": "辅导六次", "done-outcome": "好转"}
    )
    assert Referral.objects.get(pk=rid).state == "done"
    assert client.post(reverse(step, args=[rid, "other"])).status_code == 404
    client.force_login(personas.director_a)
    assert client.post(reverse(step, args=[rid, "accept"])).status_code == 403


def test_organisation_kinds_and_services_on_the_county_pages(
    api: Api, client: Client, personas: Personas
) -> None:
    made = api.post(
        "/organisations",
        user=personas.admin,
        body={
            "kind": "women_federation",
            "name": "景宁县妇联",
            "area": personas.county.pk,
            "contact_name": "王主任",
            "contact_phone": "0578-5081234",
            "services": ["counselling", "financial_aid"],
        },
    )
    assert made.status_code == 201, made.content
    assert made.json()["services"] == ["counselling", "financial_aid"]
    bad = api.post(
        "/organisations",
        user=personas.admin,
        body={"kind": "court", "name": "法院", "area": personas.county.pk, "contact_phone": "12"},
    )
    assert bad.status_code == 422
    assert "contact_phone" in bad.json()["errors"]
    client.force_login(personas.admin)
    page = client.get(reverse("carers:organisation-list"), HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "Women&#x27;s federation" in text or "Women's federation" in text
    assert "Counselling、Financial aid" in text
    org = Organisation.objects.get(name="景宁县妇联")
    edit = client.post(
        reverse("carers:organisation-edit", args=[org.pk]),
        {
            "kind": "women_federation",
            "name": "景宁县妇联",
            "area": personas.county.pk,
            "services": ["legal_aid"],
        },
    )
    assert edit.status_code == 302
    org.refresh_from_db()
    assert org.services == ["legal_aid"]


def test_referral_lists_make_a_fixed_number_of_queries(
    api: Api, client: Client, personas: Personas
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    org = agency(personas)
    client.force_login(personas.supervisor_a)

    def counts() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as page:
            assert client.get(reverse("network:referral-list")).status_code == 200
        with CaptureQueriesContext(connection) as listed:
            assert api.get("/referrals", user=personas.supervisor_a).status_code == 200
        return len(page), len(listed)

    late = timezone.localdate() - timedelta(days=1)
    for _ in range(11):  # more overdue than the page's card shows
        refer(api, personas, org)
    Referral.objects.update(due_on=late)
    counts()  # the first call makes the token and marks it used: outside the counts
    few = counts()
    for _ in range(30):
        refer(api, personas, org)
    Referral.objects.update(due_on=late)
    assert counts() == few


def test_the_navigation_leads_to_the_referrals_of_those_who_make_them(
    client: Client, personas: Personas
) -> None:
    p = personas
    link = f'href="{reverse("network:referral-list")}"'
    for user, shown in (
        (p.director_a, True),
        (p.admin, True),
        (p.volunteer, True),
        (p.province_official, False),
        (p.outsider, False),
    ):
        client.force_login(user)
        assert (link in client.get("/").content.decode()) is shown, user.username
        client.logout()


def test_the_list_pages_through_every_referral_and_every_overdue_one(
    api: Api, client: Client, personas: Personas, settings: Any
) -> None:
    settings.PAGE_SIZE = 4
    org = agency(personas)
    made = [refer(api, personas, org).json()["id"] for _ in range(13)]
    late = made[:11]
    Referral.objects.filter(pk__in=late).update(due_on=timezone.localdate() - timedelta(days=2))
    client.force_login(personas.director_a)

    def ids(page: str) -> list[int]:
        table = page[page.index('id="referrals"') :]
        return [int(n) for n in re.findall(r'referrals/(\d+)/"', table)]

    seen: list[int] = []
    for number in (1, 2, 3, 4):
        page = client.get(reverse("network:referral-list"), {"page": number}).content.decode()
        seen += ids(page)
    assert seen == sorted(made, reverse=True)  # newest first, each once
    first = client.get(reverse("network:referral-list"), HTTP_ACCEPT_LANGUAGE="en")
    card = first.content.decode()
    card = card[card.index('id="referrals-overdue"') : card.index('id="referrals"')]
    assert len(re.findall(r"referrals/\d+/", card)) == 10
    assert "All 11 overdue referrals" in card

    overdue: list[int] = []
    for number in (1, 2, 3):
        page = client.get(
            reverse("network:referral-list") + f"?overdue=1&page={number}"
        ).content.decode()
        assert 'id="referrals-overdue"' not in page
        overdue += ids(page)
    assert sorted(overdue) == sorted(late)
    assert (
        "overdue=1&amp;page=2"
        in client.get(reverse("network:referral-list"), {"overdue": "1"}).content.decode()
    )
    # Another village's director sees none of them.
    client.force_login(personas.director_b)
    assert ids(client.get(reverse("network:referral-list")).content.decode()) == []


def test_a_childs_referrals_move_with_the_child_and_with_a_merge_of_villages(
    api: Api, personas: Personas
) -> None:
    from care365.accounts.services import area_merge
    from care365.registry import services as registry_services

    org = agency(personas)
    made = refer(api, personas, org).json()["id"]
    assert Referral.objects.get(pk=made).village == personas.village_a

    def listed(who: str) -> list[int]:
        got = api.get("/referrals", user=getattr(personas, who)).json()
        return [r["id"] for r in got["items"]]

    assert listed("director_a") == [made] and listed("director_b") == []
    registry_services.child_update(
        actor=personas.admin, child=personas.child_a, values={"village": personas.village_b}
    )
    assert Referral.objects.get(pk=made).village == personas.village_b
    assert listed("director_a") == [] and listed("director_b") == [made]
    # The other township's supervisor now sees it, as the child's; the first no longer does.
    assert listed("supervisor_a") == []

    # Village B merged into village A: the referral's copy moves like every reference.
    area_merge(actor=personas.admin, keep=personas.village_a, absorb=personas.village_b)
    assert Referral.objects.get(pk=made).village == personas.village_a
    assert listed("director_a") == [made]
