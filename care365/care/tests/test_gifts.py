"""Children's Day and festival gifts: planned per child by the registry's keepers (many at once),
delivered and confirmed by whoever cares for the child (a volunteer for their own paired
children only), and a donor's totals and thanks that name no child."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from care365.accounts.models import AccessLog
from care365.accounts.tests.api_client import Api
from care365.care import access, selectors, services
from care365.care.models import CareEvent, Gift
from care365.care.tests.factories import team
from care365.carers.models import Organisation
from care365.carers.tests.factories import OrganisationFactory
from care365.core.errors import NotFound, StateConflictError
from care365.core.models import AuditEvent
from care365.protection.models import Notification
from care365.registry.models import Child
from care365.registry.tests.factories import LeftBehindChildFactory
from conftest import Personas

pytestmark = pytest.mark.django_db


@pytest.fixture
def p(personas: Personas) -> Personas:
    team(personas)  # child A: paired with the volunteer, the doctor and the officer
    return personas


@pytest.fixture
def event(p: Personas) -> CareEvent:
    return services.care_event_record(
        actor=p.admin,
        kind="childrens_day",
        title="六一儿童节",
        held_on=timezone.localdate(),
        area=p.county,
    )


@pytest.fixture
def donor(p: Personas) -> Organisation:
    return OrganisationFactory.create(
        kind=Organisation.Kind.COMPANY,
        name="景宁茶业有限公司",
        area=p.county,
        contact_email="csr@tea.example.cn",
    )


def plan(p: Personas, event: CareEvent, children: list[Child], **kw: Any) -> list[Gift]:
    actor = kw.pop("actor", p.director_a)
    values: dict[str, Any] = {"what": "书包和文具", "value_yuan": 120}
    values.update(kw)
    return services.gift_plan(actor=actor, event=event, children=children, **values).planned


def test_a_gift_from_plan_to_confirmation(
    p: Personas, event: CareEvent, donor: Organisation
) -> None:
    (gift,) = plan(p, event, [p.child_a], donor=donor)
    assert gift.state == Gift.State.PLANNED and gift.planned_by == p.director_a
    with pytest.raises(StateConflictError):
        services.gift_confirm(actor=p.volunteer, gift=gift)
    assert access.gift_steps_allowed(p.volunteer, gift) == ["deliver", "not-delivered"]
    services.gift_deliver(actor=p.volunteer, gift=gift)
    assert gift.state == Gift.State.DELIVERED and gift.delivered_by == p.volunteer
    assert access.gift_steps_allowed(p.volunteer, gift) == ["confirm"]
    with pytest.raises(StateConflictError):
        services.gift_deliver(actor=p.director_a, gift=gift)
    services.gift_confirm(actor=p.volunteer, gift=gift, note="很喜欢")
    assert gift.state == Gift.State.CONFIRMED and gift.note == "很喜欢"
    assert list(
        AuditEvent.objects.filter(object_type="care.gift", object_id=gift.pk)
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["gift_plan", "gift_deliver", "gift_confirm"]


def test_a_gift_not_delivered_needs_a_reason(p: Personas, event: CareEvent) -> None:
    (gift,) = plan(p, event, [p.child_a])
    with pytest.raises(ValidationError) as exc:
        services.gift_not_delivered(actor=p.director_a, gift=gift, reason=" ")
    assert set(exc.value.message_dict) == {"reason"}
    services.gift_not_delivered(actor=p.director_a, gift=gift, reason="孩子随父母去了外地")
    assert gift.state == Gift.State.NOT_DELIVERED
    with pytest.raises(StateConflictError):
        services.gift_deliver(actor=p.director_a, gift=gift)


def test_one_gift_per_child_per_event_and_many_children_at_once(
    p: Personas, event: CareEvent
) -> None:
    more = LeftBehindChildFactory.create_batch(3, village=p.village_a)
    (first,) = plan(p, event, [p.child_a])
    result = services.gift_plan(
        actor=p.director_a, event=event, children=[p.child_a, *more], what="绘本"
    )
    assert result.already == 1 and {g.child_id for g in result.planned} == {c.pk for c in more}
    assert Gift.objects.get(pk=first.pk).what == "书包和文具"
    with pytest.raises(IntegrityError), transaction.atomic():
        Gift.objects.create(
            event=event,
            child=p.child_a,
            what="x",
            planned_by=p.director_a,
            planned_at=timezone.now(),
        )


def test_plans_are_checked(p: Personas, event: CareEvent, donor: Organisation) -> None:
    station = OrganisationFactory.create(kind=Organisation.Kind.POLICE_STATION, area=p.county)
    with pytest.raises(ValidationError) as exc:
        services.gift_plan(
            actor=p.director_a,
            event=event,
            children=[p.child_b],
            what="",
            value_yuan=0,
            donor=station,
        )
    assert set(exc.value.message_dict) == {"children", "what", "value_yuan", "donor"}
    outing = services.care_event_record(
        actor=p.director_a,
        kind="outing",
        title="春游",
        held_on=timezone.localdate(),
        area=p.village_a,
    )
    with pytest.raises(ValidationError) as exc:
        services.gift_plan(actor=p.director_a, event=outing, children=[p.child_a], what="x")
    assert "event" in exc.value.message_dict
    for who in ("volunteer", "officer", "outsider"):
        with pytest.raises(PermissionDenied):
            services.gift_plan(actor=getattr(p, who), event=event, children=[p.child_a], what="x")


def test_carers_other_than_the_childs_volunteer_mark_nothing(p: Personas, event: CareEvent) -> None:
    (gift,) = plan(p, event, [p.child_a])
    for who in ("officer", "doctor", "director_b", "outsider"):
        with pytest.raises(PermissionDenied):
            services.gift_deliver(actor=getattr(p, who), gift=gift)
        with pytest.raises(NotFound):
            access.gift_get_for_user(getattr(p, who), gift.pk)
    (other,) = plan(p, event, [p.child_b], actor=p.director_b)
    with pytest.raises(NotFound):
        access.gift_get_for_user(p.volunteer, other.pk)
    assert list(access.gifts_for_user(p.volunteer)) == [gift]
    assert not access.gifts_for_user(p.officer).exists()


def test_a_childrens_day_may_be_recorded_ahead_for_its_gifts(p: Personas) -> None:
    ahead = timezone.localdate().replace(year=timezone.localdate().year + 1)
    ahead = ahead.replace(day=1) if ahead.day > 28 else ahead
    soon = timezone.localdate() + (ahead - timezone.localdate()) / 2
    services.care_event_record(
        actor=p.admin, kind="festival", title="中秋", held_on=soon, area=p.county
    )
    with pytest.raises(ValidationError):
        services.care_event_record(
            actor=p.admin, kind="outing", title="春游", held_on=soon, area=p.county
        )


# --- through the API -------------------------------------------------------------------------


def test_plan_and_deliver_through_the_api(
    api: Api, p: Personas, event: CareEvent, donor: Organisation
) -> None:
    path = f"/events/{event.pk}/gifts"
    body = {"what": "书包", "value_yuan": 100, "donor_id": donor.pk}
    # A director plans for another village's child: as if the child did not exist.
    refused = api.post(path, user=p.director_a, body={**body, "child_ids": [p.child_b.pk]})
    assert refused.status_code == 404
    assert not Gift.objects.exists()
    more = LeftBehindChildFactory.create_batch(2, village=p.village_a)
    planned = api.post(path, user=p.director_a, body={**body, "area_id": p.village_a.pk})
    assert planned.status_code == 201, planned.content
    assert len(planned.json()["planned"]) == 3 and planned.json()["already"] == 0
    again = api.post(path, user=p.supervisor_a, body={**body, "child_ids": [more[0].pk]})
    assert again.status_code == 201 and again.json() == {"planned": [], "already": 1}
    assert api.post(path, user=p.volunteer, body={**body, "child_ids": []}).status_code == 403
    assert api.post(path, user=p.other_admin, body=body).status_code == 404

    # The volunteer sees their paired child's gift only, with the given name only.
    mine = api.get(path, user=p.volunteer).json()
    assert mine["count"] == 1
    (row,) = mine["items"]
    assert row["child"]["id"] == p.child_a.pk and row["child"]["name"] == p.child_a.name[1:]
    assert row["steps"] == ["deliver", "not-delivered"]
    assert api.get(path, user=p.director_a).json()["count"] == 3
    assert api.get(path, user=p.officer).status_code == 404
    assert api.get(path, user=p.director_b).json()["count"] == 0

    other = Gift.objects.exclude(child=p.child_a).first()
    assert other is not None
    assert api.post(f"/gifts/{other.pk}/deliver", user=p.volunteer).status_code == 404
    last = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    done = api.post(f"/gifts/{row['id']}/deliver", user=p.volunteer)
    assert done.status_code == 200 and done.json()["state"] == "delivered"
    assert list(AccessLog.objects.filter(pk__gt=last).values_list("child_id", "route")) == [
        (p.child_a.pk, "api:gift_deliver")
    ]
    assert api.post(f"/gifts/{row['id']}/deliver", user=p.volunteer).status_code == 409
    ok = api.post(f"/gifts/{row['id']}/confirm", user=p.volunteer, body={"note": "开心"})
    assert ok.status_code == 200 and ok.json()["state"] == "confirmed"
    nope = api.post(f"/gifts/{other.pk}/not-delivered", user=p.director_a, body={"reason": ""})
    assert nope.status_code == 422
    nope = api.post(
        f"/gifts/{other.pk}/not-delivered", user=p.director_a, body={"reason": "搬走了"}
    )
    assert nope.status_code == 200 and nope.json()["state"] == "not_delivered"

    # The list in one state, as the event's page filters it.
    def states(query: str) -> list[str]:
        answer = api.get(f"{path}{query}", user=p.director_a)
        assert answer.status_code == 200, answer.content
        assert answer.json()["count"] == len(answer.json()["items"])
        return sorted(item["state"] for item in answer.json()["items"])

    assert states("") == ["confirmed", "not_delivered", "planned"]
    assert states("?state=planned") == ["planned"]
    assert states("?state=confirmed") == ["confirmed"]
    assert states("?state=delivered") == []
    bad = api.get(f"{path}?state=lost", user=p.director_a)
    assert bad.status_code == 422 and "state" in bad.content.decode()


# --- donors' totals and thanks ---------------------------------------------------------------


def _gifts_for_township(p: Personas, event: CareEvent, donor: Organisation, n: int) -> None:
    children = [p.child_a, *LeftBehindChildFactory.create_batch(n - 1, village=p.village_a)]
    gifts = plan(p, event, children, donor=donor, value_yuan=100)
    for gift in gifts[:3]:
        services.gift_deliver(actor=p.director_a, gift=gift)


def test_donor_totals_hide_small_cells_and_name_no_child(
    p: Personas, event: CareEvent, donor: Organisation
) -> None:
    _gifts_for_township(p, event, donor, 6)
    plan(p, event, [p.child_b], actor=p.director_b, donor=donor, value_yuan=80)
    totals = selectors.donor_totals(donor, county=p.county)
    assert (totals.total.gifts, totals.total.value_yuan, totals.total.delivered) == (7, 680, 3)
    shown = totals.as_dict()
    by_township = {r["township"]: r for r in shown["by_township"]}
    assert by_township[p.township_a.name]["gifts"] == "6"
    assert by_township[p.township_a.name]["value_yuan"] == "600"
    assert by_township[p.township_a.name]["delivered"] == "<5"
    assert by_township[p.township_b.name]["gifts"] == "<5"
    assert by_township[p.township_b.name]["value_yuan"] == "<5"
    text = json.dumps(shown, ensure_ascii=False, default=str)
    for child in Child.objects.all():
        assert child.name not in text and child.name[1:] not in text
    for village in (p.village_a, p.village_b):
        assert village.name not in text
    assert selectors.donor_totals(donor, county=p.other_county).total.gifts == 0


def test_donor_totals_through_the_api_for_the_county_administrator_only(
    api: Api, p: Personas, event: CareEvent, donor: Organisation
) -> None:
    _gifts_for_township(p, event, donor, 5)
    path = f"/donors/{donor.pk}/gift-totals"
    got = api.get(path, user=p.admin)
    assert got.status_code == 200
    assert got.json()["total"]["gifts"] == 5
    assert got.json()["by_county"] == [
        {
            "county": p.county.name,
            "gifts": "5",
            "value_yuan": "500",
            "delivered": "<5",
            "confirmed": "<5",
            "not_delivered": "<5",
        }
    ]
    assert p.child_a.name not in got.content.decode()
    assert api.get(path, user=p.other_admin).status_code == 404
    assert api.get(path, user=p.director_a).status_code == 403
    station = OrganisationFactory.create(kind=Organisation.Kind.POLICE_STATION, area=p.county)
    assert api.get(f"/donors/{station.pk}/gift-totals", user=p.admin).status_code == 404


def test_the_thanks_goes_through_the_outbox_with_the_totals_and_no_child(
    api: Api, p: Personas, event: CareEvent, donor: Organisation
) -> None:
    _gifts_for_township(p, event, donor, 6)
    sent = api.post(f"/donors/{donor.pk}/thanks", user=p.admin)
    assert sent.status_code == 200 and sent.json() == {"queued": 1}
    (note,) = Notification.objects.all()
    assert note.kind == Notification.Kind.DONOR_THANKS and note.channel == "email"
    assert note.address == donor.contact_email
    text = note.payload["subject"] + note.payload["text"]
    assert "景宁茶业有限公司" in text and "600" in text
    assert "感谢" in text and "Thank you" in text  # both languages
    for child in Child.objects.all():
        assert child.name not in text and child.name[1:] not in text
    assert p.village_a.name not in text
    assert AuditEvent.objects.filter(action="donor_thank", object_id=donor.pk).exists()
    assert api.post(f"/donors/{donor.pk}/thanks", user=p.director_a).status_code == 403
    assert api.post(f"/donors/{donor.pk}/thanks", user=p.other_admin).status_code == 404
    silent = OrganisationFactory.create(kind=Organisation.Kind.CHARITY, area=p.county)
    assert api.post(f"/donors/{silent.pk}/thanks", user=p.admin).status_code == 422


def test_a_donor_is_thanked_once_a_day_for_the_same_figures(
    p: Personas, event: CareEvent, donor: Organisation
) -> None:
    _gifts_for_township(p, event, donor, 6)
    morning = timezone.now().replace(hour=1, minute=0)
    assert services.donor_thank(actor=p.admin, organisation=donor, now=morning) == 1
    later = morning + timedelta(hours=2)
    assert services.donor_thank(actor=p.admin, organisation=donor, now=later) == 0
    plan(p, event, [LeftBehindChildFactory.create(village=p.village_b)], donor=donor, actor=p.admin)
    assert services.donor_thank(actor=p.admin, organisation=donor, now=later) == 1  # new figures
    tomorrow = morning + timedelta(days=1)
    assert services.donor_thank(actor=p.admin, organisation=donor, now=tomorrow) == 1
    assert Notification.objects.filter(kind=Notification.Kind.DONOR_THANKS).count() == 3


# --- the pages -------------------------------------------------------------------------------


def test_a_director_plans_for_every_child_of_the_village_from_the_page(
    client: Client, p: Personas, event: CareEvent, donor: Organisation
) -> None:
    LeftBehindChildFactory.create_batch(2, village=p.village_a)
    client.force_login(p.director_a)
    url = reverse("care:care-event-gifts", args=[event.pk])
    page = client.get(url)
    assert page.status_code == 200 and b'name="whom"' in page.content
    done = client.post(
        url,
        {
            "area": p.village_a.pk,
            "what": "书包",
            "value_yuan": "90",
            "donor": donor.pk,
            "whom": "every",
        },
    )
    assert done.status_code == 302, done.content
    assert Gift.objects.filter(event=event, donor=donor).count() == 3
    listed = client.get(url)
    assert p.child_a.name in listed.content.decode()


def test_a_supervisor_picks_a_village_and_ticks_children(
    client: Client, p: Personas, event: CareEvent
) -> None:
    client.force_login(p.supervisor_a)
    url = reverse("care:care-event-gifts", args=[event.pk])
    assert b'name="area"' in client.get(url).content  # the area picker first
    assert b'name="whom"' in client.get(url, {"area": p.village_a.pk}).content
    done = client.post(
        url,
        {"area": p.village_a.pk, "what": "绘本", "whom": "ticked", "children": [p.child_a.pk]},
    )
    assert done.status_code == 302
    assert list(Gift.objects.values_list("child_id", flat=True)) == [p.child_a.pk]


def test_the_volunteer_delivers_from_the_gifts_page(
    client: Client, p: Personas, event: CareEvent
) -> None:
    (gift,) = plan(p, event, [p.child_a])
    plan(p, event, [p.child_b], actor=p.director_b)
    client.force_login(p.volunteer)
    page = client.get(reverse("care:care-gifts")).content.decode()
    assert p.child_a.name[1:] in page and p.child_a.name not in page
    assert p.child_b.name[1:] not in page
    act = reverse("care:care-gift-act", args=[gift.pk, "deliver"])
    assert act in page
    assert client.post(act).status_code == 302
    assert Gift.objects.get(pk=gift.pk).state == Gift.State.DELIVERED
    assert client.get(reverse("care:care-event-gifts", args=[event.pk])).status_code == 200
    assert client.post(reverse("care:care-event-gifts", args=[event.pk])).status_code == 403
    other = Gift.objects.get(child=p.child_b)
    assert client.post(reverse("care:care-gift-act", args=[other.pk, "deliver"])).status_code == 404


def test_the_donor_page_and_thanks_for_the_county_administrator(
    client: Client, p: Personas, event: CareEvent, donor: Organisation
) -> None:
    _gifts_for_township(p, event, donor, 2)
    client.force_login(p.admin)
    assert donor.name in client.get(reverse("care:care-donors")).content.decode()
    page = client.get(reverse("care:care-donor-totals", args=[donor.pk])).content.decode()
    assert "&lt;5" in page and p.child_a.name not in page
    sent = client.post(reverse("care:care-donor-thank", args=[donor.pk]))
    assert sent.status_code == 302
    assert Notification.objects.filter(kind=Notification.Kind.DONOR_THANKS).count() == 1
    client.force_login(p.director_a)
    assert client.get(reverse("care:care-donors")).status_code == 403


def test_the_demo_gifts_go_through_the_services(p: Personas, donor: Organisation) -> None:
    from care365.seeding.seed.gifts import demo_gifts

    LeftBehindChildFactory.create_batch(5, village=p.village_a)
    assert demo_gifts(director=p.director_a, admin=p.admin) == 6
    assert demo_gifts(director=p.director_a, admin=p.admin) == 0  # written once
    states = list(Gift.objects.values_list("state", flat=True))
    assert {"delivered", "confirmed", "not_delivered", "planned"} <= set(states)
    assert Gift.objects.get(child=p.child_a).delivered_by == p.volunteer
    totals = selectors.donor_totals(donor, county=p.county)
    assert totals.total.gifts == 6 and totals.total.value_yuan == 900


def test_the_pages_of_a_filtered_list_keep_its_filter(
    client: Client, p: Personas, event: CareEvent, settings: Any
) -> None:
    settings.PAGE_SIZE = 2
    children = [p.child_a, *LeftBehindChildFactory.create_batch(4, village=p.village_a)]
    plan(p, event, children)
    client.force_login(p.director_a)
    url = reverse("care:care-event-gifts", args=[event.pk])

    first = client.get(url, {"state": str(Gift.State.PLANNED)})
    second = client.get(url, {"state": str(Gift.State.PLANNED), "page": "2"})

    assert f'href="?state={Gift.State.PLANNED}&amp;page=2"' in first.content.decode()
    assert f'href="?state={Gift.State.PLANNED}&amp;page=1"' in second.content.decode()
    assert f'href="?state={Gift.State.PLANNED}&amp;page=3"' in second.content.decode()
