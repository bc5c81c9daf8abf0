"""Small wishes from posting to confirmation, the public board, and care events."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from care365.care import jobs, selectors, services
from care365.care.models import CareSettings, Wish
from care365.care.tests.factories import NOW, TODAY, registered_on, team
from care365.core.models import AuditEvent
from care365.registry.models import ConsentPurpose
from conftest import Personas


def post(personas: Personas, who: str = "director_a", **kwargs: Any) -> Wish:
    values: dict[str, Any] = {
        "child": personas.child_a,
        "what": "一双新球鞋",
        "cost_yuan": 150,
        "now": NOW,
    }
    values.update(kwargs)
    return services.wish_post(actor=getattr(personas, who), **values)


@pytest.fixture
def cared(personas: Personas) -> Personas:
    team(personas)
    registered_on(personas.child_b)
    return personas


@pytest.mark.django_db
def test_director_and_volunteer_post_wishes(cared: Personas) -> None:
    wish = post(cared)
    assert (wish.state, wish.posted_by, wish.cost_yuan) == ("open", cared.director_a, 150)
    assert AuditEvent.objects.filter(action="wish_post", object_id=wish.pk).exists()
    assert post(cared, "volunteer", what="一套水彩笔", cost_yuan=40).posted_by == cared.volunteer
    for who in ("director_b", "officer", "outsider"):
        with pytest.raises((ValidationError, PermissionDenied)):
            post(cared, who)


@pytest.mark.django_db
def test_a_wish_needs_the_guardians_agreement_to_share(cared: Personas) -> None:
    with pytest.raises(ValidationError) as exc:
        post(cared, "director_b", child=cared.child_b)
    assert set(exc.value.message_dict) == {"child"}


@pytest.mark.django_db
def test_wish_values_are_checked(cared: Personas) -> None:
    with pytest.raises(ValidationError) as exc:
        post(cared, what="  ", cost_yuan=0)
    assert set(exc.value.message_dict) == {"what", "cost_yuan"}
    with pytest.raises(ValidationError) as exc:
        post(cared, cost_yuan=6000)
    assert set(exc.value.message_dict) == {"cost_yuan"}


@pytest.mark.django_db
def test_board_shows_only_a_given_name_age_and_township(cared: Personas) -> None:
    wish = post(cared)
    (card,) = selectors.wish_board(county=cared.county, today=TODAY)
    assert asdict(card) == {
        "id": wish.pk,
        "name": "小花",
        "age": 11,
        "township": "鹤溪街道",
        "what": "一双新球鞋",
        "cost_yuan": 150,
        "state": "open",
    }
    shown = " ".join(str(v) for v in asdict(card).values())
    child = cared.child_a
    for secret in (child.name, child.school, child.address, child.village.name):
        assert secret not in shown
    CareSettings.objects.create(county=cared.county, wish_board_initial_only=True)
    assert selectors.wish_board(county=cared.county, today=TODAY)[0].name == "小"
    assert selectors.wish_board(county=cared.other_county, today=TODAY) == []
    cared.child_a.consents.filter(purpose=ConsentPurpose.VOLUNTEER).update(withdrawn_on=TODAY)
    assert selectors.wish_board(county=cared.county, today=TODAY) == []


@pytest.mark.django_db
def test_claim_deliver_confirm(cared: Personas) -> None:
    wish = post(cared)
    services.wish_claim(actor=cared.volunteer, wish=wish, now=NOW)
    assert (wish.state, wish.claimed_by) == ("claimed", cared.volunteer)
    # A second claim, even from a stale copy of the wish, finds it taken.
    stale = Wish.objects.get(pk=wish.pk)
    stale.state = "open"
    with pytest.raises(services.CareStateError):
        services.wish_claim(actor=cared.officer, wish=stale, now=NOW)
    assert Wish.objects.get(pk=wish.pk).claimed_by == cared.volunteer
    (card,) = selectors.wish_board(county=cared.county, today=TODAY)
    assert card.state == "claimed"
    assert [w.pk for w in jobs.digest_build(cared.volunteer, TODAY).wishes_to_deliver] == [wish.pk]
    with pytest.raises(services.CareStateError):
        services.wish_confirm(actor=cared.director_a, wish=wish, now=NOW)
    services.wish_deliver(actor=cared.volunteer, wish=wish, now=NOW)
    assert wish.state == "delivered" and wish.delivered_by == cared.volunteer
    services.wish_confirm(actor=cared.director_a, wish=wish, note="孩子很开心", now=NOW)
    assert (wish.state, wish.confirmed_by, wish.note) == (
        "confirmed",
        cared.director_a,
        "孩子很开心",
    )
    assert selectors.wish_board(county=cared.county, today=TODAY) == []
    assert jobs.digest_build(cared.volunteer, TODAY).wishes_to_deliver == []
    actions = set(
        AuditEvent.objects.filter(object_type="care.wish", object_id=wish.pk).values_list(
            "action", flat=True
        )
    )
    assert actions == {"wish_post", "wish_claim", "wish_deliver", "wish_confirm"}


@pytest.mark.django_db
def test_who_may_claim_and_confirm(cared: Personas) -> None:
    wish = post(cared)
    with pytest.raises(ValidationError) as exc:
        services.wish_claim(actor=cared.other_admin, wish=wish)
    assert set(exc.value.message_dict) == {"wish"}
    with pytest.raises(ValidationError) as exc:
        services.wish_claim(actor=cared.volunteer, wish=wish, donor_name="王先生")
    assert set(exc.value.message_dict) == {"donor_name"}
    # An officer of the county claims as a donor; a donor cannot confirm with the child.
    services.wish_claim(actor=cared.officer, wish=wish)
    services.wish_deliver(actor=cared.officer, wish=wish)
    with pytest.raises(ValidationError):
        services.wish_confirm(actor=cared.officer, wish=wish)
    services.wish_confirm(actor=cared.volunteer, wish=wish)
    assert wish.state == "confirmed"


@pytest.mark.django_db
def test_director_claims_for_a_donor_release_and_withdraw(cared: Personas) -> None:
    wish = post(cared, "volunteer")
    services.wish_claim(actor=cared.director_a, wish=wish, donor_name="县妇联")
    assert (wish.claimed_by, wish.donor_name) == (cared.director_a, "县妇联")
    with pytest.raises(ValidationError):
        services.wish_release(actor=cared.officer, wish=wish)
    services.wish_release(actor=cared.director_a, wish=wish)
    assert (wish.state, wish.claimed_by, wish.donor_name, wish.claimed_at) == (
        "open",
        None,
        "",
        None,
    )
    with pytest.raises(ValidationError):
        services.wish_withdraw(actor=cared.officer, wish=wish)
    services.wish_withdraw(actor=cared.volunteer, wish=wish, now=NOW)
    assert wish.state == "withdrawn"
    with pytest.raises(services.CareStateError):
        services.wish_claim(actor=cared.volunteer, wish=wish)


@pytest.mark.django_db
def test_wishes_are_listed_for_those_who_see_the_child(cared: Personas) -> None:
    wish = post(cared)
    assert list(selectors.wishes_for_user(cared.volunteer)) == [wish]
    assert list(selectors.wishes_for_user(cared.director_a, states=["open"])) == [wish]
    assert not selectors.wishes_for_user(cared.director_b).exists()
    services.wish_claim(actor=cared.officer, wish=wish)
    assert list(selectors.wishes_claimed_by(cared.officer)) == [wish]


@pytest.mark.django_db
def test_a_childs_wishes_are_read_without_listing_every_child_in_scope(cared: Personas) -> None:
    wish = post(cared)
    child = cared.child_a
    for who in ("admin", "director_a", "volunteer"):
        with CaptureQueriesContext(connection) as queries:
            assert list(selectors.wishes_for_child(getattr(cared, who), child)) == [wish]
        # One child's wishes, not `child_id IN (every child the user sees)`.
        assert not any("IN (SELECT" in q["sql"] for q in queries.captured_queries), who
    for who in ("director_b", "outsider"):
        assert not selectors.wishes_for_child(getattr(cared, who), child).exists()


# --- care events ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_childrens_day_event(cared: Personas) -> None:
    event = services.care_event_record(
        actor=cared.director_a,
        kind="childrens_day",
        title="六一儿童节送温暖",
        held_on=TODAY,
        area=cared.village_a,
        children=[cared.child_a],
        given="书包、文具和绘本",
        today=TODAY,
    )
    assert list(event.children.all()) == [cared.child_a]
    assert list(selectors.care_events_for_user(cared.director_a)) == [event]
    assert list(selectors.care_events_for_user(cared.supervisor_a)) == [event]
    assert list(selectors.care_events_for_user(cared.volunteer)) == [event]  # their child came
    assert not selectors.care_events_for_user(cared.director_b).exists()
    with pytest.raises(ValidationError) as exc:
        services.care_event_record(
            actor=cared.director_a,
            kind="party",
            title="",
            held_on=TODAY + timedelta(days=1),
            area=cared.village_b,
            children=[cared.child_b],
            today=TODAY,
        )
    assert set(exc.value.message_dict) == {"kind", "title", "held_on", "area", "children"}
    with pytest.raises(ValidationError):
        services.care_event_record(
            actor=cared.volunteer, kind="other", title="x", held_on=TODAY, area=cared.village_a
        )
