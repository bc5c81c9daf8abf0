"""One installation, many counties: an SMS, its alert and the duty desk that answers it belong to
the county of the child (or, from an unknown number, of the help number that was texted).

The personas' installation runs 景宁 (331127) and 庆元 (331126), both in 丽水市."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from care365.areas.models import Area
from care365.areas.tests.factories import CountyFactory
from care365.protection import policy, services
from care365.protection.models import Alert, Notification
from care365.protection.tests.conftest import HELP_NUMBER
from care365.registry.models import Guardian
from conftest import Personas

pytestmark = pytest.mark.django_db

QINGYUAN_NUMBER = "12388"
QINGYUAN_DESK_PHONE = "05786000001"
JINGNING_DESK_PHONE = "05785000001"
DESK_FIRST = [{"who": "county_duty_desk", "wait_seconds": 60, "channels": ["in_app", "sms"]}]


def _desk(p: Personas, *, qingyuan: bool, number: str, desk_phone: str) -> None:
    services.escalation_policy_update(
        actor=p.other_admin if qingyuan else p.admin,
        county=p.other_county if qingyuan else p.county,
        steps=DESK_FIRST,
        repeat_seconds=600,
        desk_phone=desk_phone,
        sms_number=number,
    )


@pytest.fixture
def two_desks(paired: Personas) -> Personas:
    """Each county's desk is told first, on its own phone; each has its own help number."""
    _desk(paired, qingyuan=False, number=HELP_NUMBER, desk_phone=JINGNING_DESK_PHONE)
    _desk(paired, qingyuan=True, number=QINGYUAN_NUMBER, desk_phone=QINGYUAN_DESK_PHONE)
    return paired


def _told(alert: Alert) -> set[tuple[str, Any]]:
    return {
        (n.channel, n.recipient.username if n.recipient else n.address)
        for n in Notification.objects.filter(alert=alert)
    }


def test_a_guardian_text_goes_to_her_childs_county_whichever_number_she_texted(
    two_desks: Personas, t0: datetime
) -> None:
    p = two_desks
    guardian = Guardian.objects.get(child=p.child_other)  # 庆元's child
    guardian.phone = "13600006666"
    guardian.save()

    (alert,) = services.alert_raise_from_sms(
        phone="+86 136 0000 6666", text="孩子不见了", to=HELP_NUMBER, now=t0
    )  # texted 景宁's number

    assert alert.child == p.child_other and alert.county == p.other_county
    assert _told(alert) == {("in_app", "other_admin"), ("sms", QINGYUAN_DESK_PHONE)}


def test_an_unknown_number_reaches_the_desk_of_the_county_it_texted(
    two_desks: Personas, t0: datetime
) -> None:
    p = two_desks
    (to_qingyuan,) = services.alert_raise_from_sms(
        phone="13598765432", text="村口有孩子受伤", to="123 88", now=t0
    )
    (to_jingning,) = services.alert_raise_from_sms(
        phone="13598760000", text="有人落水", to=HELP_NUMBER, now=t0
    )

    assert (to_qingyuan.child, to_qingyuan.county) == (None, p.other_county)
    assert _told(to_qingyuan) == {("in_app", "other_admin"), ("sms", QINGYUAN_DESK_PHONE)}
    assert (to_jingning.child, to_jingning.county) == (None, p.county)
    assert _told(to_jingning) == {("in_app", "admin"), ("sms", JINGNING_DESK_PHONE)}


def test_with_two_counties_an_unknown_number_to_no_county_is_refused(
    two_desks: Personas, t0: datetime, settings: Any
) -> None:
    settings.COUNTY_CODE = two_desks.county.code
    for to in ("", "10086"):
        with pytest.raises(ValidationError) as info:
            services.alert_raise_from_sms(phone="13598765432", text="救命", to=to, now=t0)
        assert "to" in info.value.message_dict
    assert not Alert.objects.exists()


def test_a_single_county_installation_needs_no_number(db: None, settings: Any) -> None:
    county = CountyFactory.create(code="331127", name="景宁畲族自治县")
    settings.COUNTY_CODE = "331127"
    assert services.sms_intake_county("") == county
    assert services.sms_intake_county("10086") == county
    # The setting names the county: one the tree does not have routes nowhere.
    settings.COUNTY_CODE = "331126"
    assert services.sms_intake_county("") is None


def test_a_help_number_is_one_countys(two_desks: Personas) -> None:
    with pytest.raises(ValidationError) as info:
        _desk(two_desks, qingyuan=True, number="1-23-49", desk_phone="")  # 景宁's, written apart
    assert "sms_number" in info.value.message_dict


def test_a_childs_alert_escalates_to_its_own_countys_desk(
    two_desks: Personas, t0: datetime
) -> None:
    p = two_desks
    jingning = services.alert_raise(actor=p.director_a, child=p.child_a, kind="danger", now=t0)
    qingyuan = services.alert_raise(actor=p.other_admin, child=p.child_other, kind="danger", now=t0)

    assert (jingning.county, qingyuan.county) == (p.county, p.other_county)
    assert ("sms", JINGNING_DESK_PHONE) in _told(jingning)
    assert ("sms", QINGYUAN_DESK_PHONE) not in _told(jingning)
    # 庆元's administrator raised it: the desk's other ways still go to 庆元, never to 景宁.
    assert ("sms", QINGYUAN_DESK_PHONE) in _told(qingyuan)
    assert not {("in_app", "admin"), ("sms", JINGNING_DESK_PHONE)} & _told(qingyuan)
    assert policy.COUNTY_DUTY_DESK == "county_duty_desk"
    assert Area.objects.get(pk=qingyuan.county_id).parent == p.prefecture
