"""An organisation's staff and their referrals (docs/network.md, "Organisation staff"): they see
the referrals to their own organisation and only what a referral carries, answer them (the
referrer is told, each step audited), read each referral's child into the access log, and see
their organisation's record and webhook deliveries; everything else is refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from care365.accounts.models import AccessLog
from care365.accounts.tests.api_client import Api
from care365.accounts.tests.factories import UserFactory
from care365.accounts.visibility import given_name
from care365.carers.models import Organisation
from care365.carers.tests.factories import OrganisationFactory
from care365.core.models import AuditEvent, Notice
from care365.network import services
from care365.network.models import Referral
from care365.protection.models import Notification, WebhookEndpoint
from care365.registry.models import Child
from conftest import Personas

pytestmark = pytest.mark.django_db

REASON = "父母外出后孩子情绪低落，需要心理辅导"


def offer(p: Personas) -> Organisation:
    """The personas' agency, with the services it offers and a contact."""
    p.agency.services = ["counselling", "legal_aid"]
    p.agency.contact_name = "李社工"
    p.agency.contact_phone = "13905781234"
    p.agency.save()
    return p.agency


def refer(p: Personas, child: Child | None = None, org: Organisation | None = None) -> Referral:
    """A referral by the director of village A (the administrator for another village's child)."""
    return services.referral_create(
        actor=p.admin if child is not None and child != p.child_a else p.director_a,
        child=child or p.child_a,
        organisation_id=(org or offer(p)).pk,
        service="counselling",
        reason=REASON,
        referrer_phone="13905786601",
    )


def elsewhere(p: Personas) -> Referral:
    """A referral of child A to another agency of the county."""
    other = OrganisationFactory.create(
        kind=Organisation.Kind.SOCIAL_WORK, area=p.county, name="别的社工", services=["counselling"]
    )
    return refer(p, org=other)


def secrets_of(child: Child) -> list[str]:
    """What of the child the organisation never sees."""
    child.refresh_from_db()
    found = [child.name, child.birth_date.isoformat()]
    if child.id_number:
        found.append(child.id_number)
    if child.address:
        found.append(child.address)
    guardian = getattr(child, "guardian", None)
    if guardian is not None:
        found += [guardian.name, guardian.phone]
    found += [p.phone for p in child.parents.all() if p.phone]
    found += [p.name for p in child.parents.all() if p.name]
    return [s for s in found if s]


def test_staff_see_only_their_organisations_referrals(api: Api, personas: Personas) -> None:
    p = personas
    mine = refer(p)
    theirs = elsewhere(p)
    got = api.get("/organisation/referrals", user=p.org_staff)
    assert got.status_code == 200
    assert [r["id"] for r in got.json()["items"]] == [mine.pk]
    assert api.get(f"/organisation/referrals/{mine.pk}", user=p.org_staff).status_code == 200
    for path in (
        f"/organisation/referrals/{theirs.pk}",
        "/organisation/referrals/987654",
    ):
        assert api.get(path, user=p.org_staff).status_code == 404
    refused = api.post(f"/organisation/referrals/{theirs.pk}/accept", user=p.org_staff)
    assert refused.status_code == 404
    assert Referral.objects.get(pk=theirs.pk).state == "sent"
    # Nobody else uses the staff's API, whatever they see of the referral.
    for who in ("admin", "director_a", "teacher", "outsider", "province_official"):
        user = getattr(p, who)
        assert api.get("/organisation/referrals", user=user).status_code == 403, who
        assert api.get(f"/organisation/referrals/{mine.pk}", user=user).status_code == 403, who


def test_staff_never_open_a_childs_record(client: Client, api: Api, personas: Personas) -> None:
    p = personas
    referral = refer(p)
    client.force_login(p.org_staff)
    assert client.get(reverse("registry:child-detail", args=[p.child_a.pk])).status_code == 404
    assert api.get(f"/children/{p.child_a.pk}", user=p.org_staff).status_code == 404
    # The referrer's side of the referral is not theirs either: the API refuses, the page sends
    # them to their own page of it.
    assert api.get("/referrals", user=p.org_staff).status_code == 403
    assert api.post(f"/referrals/{referral.pk}/accept", user=p.org_staff).status_code == 403
    page = client.get(reverse("network:referral-detail", args=[referral.pk]))
    assert page.status_code == 302
    assert page["Location"] == reverse("network:staff-referral-detail", args=[referral.pk])
    listing = client.get(reverse("network:referral-list"))
    assert listing["Location"] == reverse("network:staff-referral-list")


def test_a_referral_carries_only_the_documented_fields(
    client: Client, api: Api, personas: Personas
) -> None:
    p = personas
    child = p.child_a
    referral = refer(p)
    secret = secrets_of(child)
    assert child.name in secret and len(secret) >= 3

    got = api.get(f"/organisation/referrals/{referral.pk}", user=p.org_staff).json()
    assert set(got) == {
        "id", "organisation", "service", "reason", "state", "overdue", "referred_at", "due_on",
        "answered_at", "decline_reason", "done_at", "what_done", "outcome", "child", "referrer",
    }  # fmt: skip
    assert got["child"] == {
        "given_name": given_name(child.name),
        "age": child.age_on(timezone.localdate()),
        "sex": child.sex,
        "village": child.village.name,
        "township": child.village.parent.name if child.village.parent else "",
    }
    assert got["referrer"]["phone"] == "13905786601"
    assert got["reason"] == REASON
    listing = api.get("/organisation/referrals", user=p.org_staff).json()
    assert set(listing["items"][0]) == {
        "id", "service", "state", "overdue", "village", "township", "referred_on", "due_on",
    }  # fmt: skip
    text = json.dumps([got, listing], ensure_ascii=False)
    for value in secret:
        assert value not in text, value

    client.force_login(p.org_staff)
    pages = [
        client.get(reverse("network:staff-referral-detail", args=[referral.pk])),
        client.get(reverse("network:staff-referral-list")),
        client.get(reverse("web:home")),
    ]
    for page in pages:
        assert page.status_code == 200
        html = page.content.decode()
        for value in secret:
            assert value not in html, value
    detail = pages[0].content.decode()
    assert given_name(child.name) in detail and REASON in detail and "13905786601" in detail
    # The list names no child at all.
    assert given_name(child.name) not in pages[1].content.decode()


def test_each_read_of_a_referral_is_in_the_access_log(
    client: Client, api: Api, personas: Personas
) -> None:
    p = personas
    referral = refer(p)
    before = AccessLog.objects.filter(user=p.org_staff).count()
    api.get("/organisation/referrals", user=p.org_staff)
    client.force_login(p.org_staff)
    client.get(reverse("network:staff-referral-list"))
    assert AccessLog.objects.filter(user=p.org_staff).count() == before  # no child shown
    api.get(f"/organisation/referrals/{referral.pk}", user=p.org_staff)
    client.get(reverse("network:staff-referral-detail", args=[referral.pk]))
    rows = list(AccessLog.objects.filter(user=p.org_staff).order_by("pk"))
    assert [(r.child_id, r.route) for r in rows] == [
        (p.child_a.pk, "api:staff_referral_get"),
        (p.child_a.pk, "network:staff-referral-detail"),
    ]


def test_staff_accept_then_done_with_audit_and_the_referrer_told(
    api: Api, personas: Personas
) -> None:
    p = personas
    rid = refer(p).pk
    accepted = api.post(f"/organisation/referrals/{rid}/accept", user=p.org_staff)
    assert accepted.status_code == 200
    assert accepted.json()["state"] == "accepted"
    assert api.post(f"/organisation/referrals/{rid}/accept", user=p.org_staff).status_code == 409
    empty = api.post(
        f"/organisation/referrals/{rid}/done",
        user=p.org_staff,
        body={"what_done": " ", "outcome": "好转"},
    )
    assert empty.status_code == 422 and set(empty.json()["errors"]) == {"what_done"}
    done = api.post(
        f"/organisation/referrals/{rid}/done",
        user=p.org_staff,
        body={"what_done": "每周一次心理辅导，共六次", "outcome": "情绪明显好转"},
    )
    assert done.status_code == 200
    assert done.json()["state"] == "done" and done.json()["outcome"] == "情绪明显好转"
    events = AuditEvent.objects.filter(object_type="network.referral", object_id=rid)
    assert list(events.order_by("pk").values_list("action", "actor_id")) == [
        ("referral_create", p.director_a.pk),
        ("referral_accept", p.org_staff.pk),
        ("referral_done", p.org_staff.pk),
    ]
    referral = Referral.objects.get(pk=rid)
    assert referral.answered_by == p.org_staff and referral.done_by == p.org_staff
    notices = Notice.objects.filter(recipient=p.director_a, kind="referral_answered")
    assert [n.params for n in notices.order_by("pk")] == [
        {"referral": rid, "state": "accepted"},
        {"referral": rid, "state": "done"},
    ]
    assert notices.first().link == f"/referrals/{rid}/"  # type: ignore[union-attr]


def test_staff_decline_with_a_reason_on_the_page(client: Client, personas: Personas) -> None:
    p = personas
    referral = refer(p)
    client.force_login(p.org_staff)
    url = reverse("network:staff-referral-step", args=[referral.pk, "decline"])
    empty = client.post(url, {"decline-reason": ""}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert empty.status_code == 400
    assert "这个字段是必填项。" in empty.content.decode()
    assert Referral.objects.get(pk=referral.pk).state == "sent"
    declined = client.post(url, {"decline-reason": "本月名额已满"})
    assert declined.status_code == 302
    referral.refresh_from_db()
    assert referral.state == "declined" and referral.decline_reason == "本月名额已满"
    assert referral.answered_by == p.org_staff
    assert AuditEvent.objects.filter(action="referral_decline", actor=p.org_staff).count() == 1
    notice = Notice.objects.get(recipient=p.director_a, kind="referral_answered")
    assert notice.params == {"referral": referral.pk, "state": "declined"}
    # The referrer's home tells them, naming the referral's number and not the child.
    client.force_login(p.director_a)
    home = client.get(reverse("web:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Referral #{referral.pk}: the organisation declined it." in home
    # Another step from a closed referral changes nothing.
    client.force_login(p.org_staff)
    again = client.post(
        reverse("network:staff-referral-step", args=[referral.pk, "accept"]), follow=True
    )
    assert Referral.objects.get(pk=referral.pk).state == "declined"
    assert again.status_code == 200


def test_the_county_admin_still_answers_on_the_organisations_behalf(
    api: Api, personas: Personas
) -> None:
    p = personas
    rid = refer(p).pk
    assert api.post(f"/referrals/{rid}/accept", user=p.admin).status_code == 200
    assert Referral.objects.get(pk=rid).answered_by == p.admin
    # Staff of another organisation of the county answer nothing of it.
    other = UserFactory.create(
        role="org_staff",
        organisation=OrganisationFactory.create(kind="charity", area=p.county),
    )
    assert api.post(f"/organisation/referrals/{rid}/done", user=other, body={
        "what_done": "x", "outcome": "y",
    }).status_code == 404  # fmt: skip


def test_inbox_lists_open_referrals_first_and_marks_the_overdue(
    client: Client, personas: Personas
) -> None:
    p = personas
    done = refer(p)
    services.referral_done(actor=p.org_staff, referral=done, what_done="x", outcome="y")
    late = refer(p, child=p.child_b)
    Referral.objects.filter(pk=late.pk).update(due_on=timezone.localdate().replace(year=2020))
    fresh = refer(p)
    client.force_login(p.org_staff)
    page = client.get(reverse("network:staff-referral-list"), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    order = [html.index(f"#{r.pk} ·") for r in (late, fresh, done)]
    assert order == sorted(order)
    assert "1 overdue" in html and html.count('class="badge overdue"') == 1


def test_staff_see_their_organisation_and_its_deliveries_only(
    client: Client, personas: Personas
) -> None:
    p = personas
    org = offer(p)
    other = OrganisationFactory.create(
        kind="charity", area=p.county, name="别的慈善会", services=["counselling"]
    )
    now = timezone.now()
    for organisation in (org, other):
        WebhookEndpoint.objects.create(
            organisation=organisation,
            url=f"https://hooks.example/{organisation.pk}",
            secret="whsec_test",  # a test's secret
            created_at=now,
        )
    refer(p)  # queues a delivery to the agency's endpoint
    refer(p, org=other)
    assert Notification.objects.filter(webhook__isnull=False).count() == 2
    client.force_login(p.org_staff)
    record = client.get(reverse("network:staff-organisation"), HTTP_ACCEPT_LANGUAGE="en")
    assert record.status_code == 200
    html = record.content.decode()
    assert org.name in html and "13905781234" in html and "Webhook deliveries" in html
    deliveries = client.get(reverse("network:staff-webhook-deliveries")).content.decode()
    assert f"https://hooks.example/{org.pk}" in deliveries
    assert f"https://hooks.example/{other.pk}" not in deliveries
    # The county's own pages stay the administrators'.
    assert client.get(reverse("carers:webhook-deliveries")).status_code == 403
    edit = reverse("carers:organisation-edit", args=[org.pk])
    assert client.get(edit).status_code == 403
    for name in ("staff-organisation", "staff-webhook-deliveries", "staff-referral-list"):
        client.force_login(p.teacher)
        assert client.get(reverse(f"network:{name}")).status_code == 403, name


def test_home_links_the_staffs_pages(client: Client, personas: Personas) -> None:
    client.force_login(personas.org_staff)
    html = client.get(reverse("web:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for name in ("staff-referral-list", "staff-organisation"):
        assert reverse(f"network:{name}") in html


def test_the_refer_form_takes_the_referrers_phone(client: Client, personas: Personas) -> None:
    p = personas
    org = offer(p)
    client.force_login(p.director_a)
    url = reverse("network:referral-add", args=[p.child_a.pk])
    data: dict[str, Any] = {"organisation": org.pk, "service": "counselling", "reason": REASON}
    bad = client.post(url, {**data, "referrer_phone": "12345"}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400 and "Enter a mainland mobile number" in bad.content.decode()
    assert not Referral.objects.exists()
    assert client.post(url, {**data, "referrer_phone": "139 0578 6601"}).status_code == 302
    assert Referral.objects.get().referrer_phone == "13905786601"


def test_demo_seed_gives_the_agency_a_login_and_referrals(personas: Personas) -> None:
    from care365.seeding.seed.network import demo_referrals

    p = personas
    offer(p)
    made = demo_referrals(director=p.director_a, admin=p.admin)
    assert made >= 1
    states = set(Referral.objects.filter(organisation=p.agency).values_list("state", flat=True))
    assert states  # one child in village A: its first plan line is the agency's, done
    assert Referral.objects.filter(organisation=p.agency, answered_by=p.org_staff).exists()


def test_the_inbox_makes_a_fixed_number_of_queries(
    api: Api, client: Client, personas: Personas
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    p = personas
    client.force_login(p.org_staff)

    def counts() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as page:
            assert client.get(reverse("network:staff-referral-list")).status_code == 200
        with CaptureQueriesContext(connection) as listed:
            assert api.get("/organisation/referrals", user=p.org_staff).status_code == 200
        return len(page), len(listed)

    refer(p)
    counts()  # the first call makes the token and marks it used: outside the counts
    few = counts()
    for _ in range(6):
        refer(p)
        refer(p, child=p.child_b)
    Referral.objects.filter(pk__in=Referral.objects.values("pk")[:4]).update(
        due_on=timezone.localdate().replace(year=2020)
    )
    assert counts() == few


def test_the_navigation_leads_staff_to_their_referrals(client: Client, personas: Personas) -> None:
    link = f'href="{reverse("network:staff-referral-list")}"'
    for user, shown in (
        (personas.org_staff, True),
        (personas.admin, False),
        (personas.teacher, False),
    ):
        client.force_login(user)
        assert (link in client.get(reverse("care:care-due")).content.decode()) is shown
        client.logout()


def test_staff_are_told_of_a_new_referral_and_once_of_an_overdue_one(
    client: Client, personas: Personas
) -> None:
    p = personas
    idle = UserFactory.create(role="org_staff", organisation=p.agency, is_active=False)
    referral = refer(p)
    received = Notice.objects.filter(kind="referral_received")
    assert [(n.recipient_id, n.params["referral"]) for n in received] == [
        (p.org_staff.pk, referral.pk)
    ]
    Referral.objects.filter(pk=referral.pk).update(due_on=timezone.localdate().replace(year=2020))
    today = timezone.localdate()
    services.referrals_remind_overdue(today)
    services.referrals_remind_overdue(today)
    overdue = Notice.objects.filter(kind="referral_overdue_staff")
    assert [n.recipient_id for n in overdue] == [p.org_staff.pk]
    assert not Notice.objects.filter(recipient=idle).exists()
    client.force_login(p.org_staff)
    home = client.get(reverse("web:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"A child is referred to your organisation: referral #{referral.pk}" in home
    assert f"Referral #{referral.pk} to your organisation is past its due date" in home
    assert reverse("network:staff-referral-detail", args=[referral.pk]) in home
    assert p.child_a.name not in home and given_name(p.child_a.name) not in home
