"""Alerts from outside: the family's help link and SMS through the gateway's webhook."""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from care365.accounts.access import child_get_for_user
from care365.protection import access, selectors, services
from care365.protection.models import Alert, AlertEvent, HelpLink, InAppEvent, Notification
from care365.registry.models import Guardian
from care365.registry.tests.factories import LeftBehindChildFactory
from conftest import Personas

WEBHOOK_SECRET = "webhook-test-secret"  # a test's shared secret


@pytest.mark.django_db
def test_help_link_raises_an_alert_for_its_child_and_a_second_press_joins_it(
    paired: Personas, t0: datetime
) -> None:
    child = child_get_for_user(paired.director_a, paired.child_a.pk, "view")
    link, token = services.help_link_issue(actor=paired.director_a, child=child, now=t0)
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(HelpLink.objects.values().get())

    alert = services.alert_raise_from_help_link(token=token, now=t0)

    assert (alert.child, alert.source, alert.kind, alert.raised_by) == (
        paired.child_a,
        "help_link",
        "help_request",
        None,
    )
    assert Notification.objects.filter(alert=alert, recipient=paired.officer).exists()
    again = services.alert_raise_from_help_link(
        token=token, note="please", now=t0 + timedelta(seconds=30)
    )
    assert again.pk == alert.pk and Alert.objects.count() == 1
    assert AlertEvent.objects.get(alert=alert, kind="repeated").data == {
        "source": "help_link",
        "count": 1,
        "notes": ["please"],
    }
    assert InAppEvent.objects.filter(user=paired.officer, kind="alert_repeated").count() == 1
    assert [a.pk for a in selectors.help_link_requests(link)] == [alert.pk]
    link.refresh_from_db()
    assert link.last_used_at == t0 + timedelta(seconds=30)


@pytest.mark.django_db
def test_a_revoked_or_reissued_link_stops_working(paired: Personas, t0: datetime) -> None:
    child = child_get_for_user(paired.director_a, paired.child_a.pk, "view")
    _old_link, old = services.help_link_issue(actor=paired.director_a, child=child, now=t0)
    new_link, new = services.help_link_issue(actor=paired.director_a, child=child, now=t0)
    with pytest.raises(services.HelpLinkNotFound):
        services.alert_raise_from_help_link(token=old, now=t0)
    with pytest.raises(services.HelpLinkNotFound):
        services.alert_raise_from_help_link(token="made-up", now=t0)
    services.help_link_revoke(actor=paired.director_a, link=new_link, now=t0)
    with pytest.raises(services.HelpLinkNotFound):
        services.alert_raise_from_help_link(token=new, now=t0)
    with pytest.raises(PermissionDenied):
        services.help_link_issue(actor=paired.officer, child=paired.child_a, now=t0)
    assert not Alert.objects.exists()


def signed(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_webhook_signature_is_checked(settings: Any) -> None:
    settings.SMS_WEBHOOK_SECRET = WEBHOOK_SECRET
    body = b'{"from":"13900000001","text":"help"}'
    assert services.sms_signature_valid(body=body, signature=signed(body))
    assert services.sms_signature_valid(body=body, signature=signed(body)[len("sha256=") :])
    assert not services.sms_signature_valid(body=body + b" ", signature=signed(body))
    assert not services.sms_signature_valid(body=body, signature=signed(body, "other-secret"))
    assert not services.sms_signature_valid(body=body, signature="")
    settings.SMS_WEBHOOK_SECRET = ""
    assert not services.sms_signature_valid(body=body, signature=signed(body, ""))


@pytest.mark.django_db
def test_sms_from_a_registered_guardian_raises_an_alert_for_each_of_their_children(
    paired: Personas, t0: datetime
) -> None:
    guardian = Guardian.objects.get(child=paired.child_a)
    guardian.phone = "13912345678"
    guardian.save()
    sibling = LeftBehindChildFactory.create(village=paired.village_a)
    sibling_guardian = Guardian.objects.get(child=sibling)
    sibling_guardian.phone = "139 1234 5678"
    sibling_guardian.save()

    alerts = services.alert_raise_from_sms(phone="+8613912345678", text=" 孩子不见了 ", now=t0)

    assert {a.child_id for a in alerts} == {paired.child_a.pk, sibling.pk} and len(alerts) == 2
    assert {(a.source, a.kind, a.note) for a in alerts} == {("sms", "help_request", "孩子不见了")}
    # Texting again while they are open joins them.
    again = services.alert_raise_from_sms(
        phone="13912345678", text="快来", now=t0 + timedelta(minutes=1)
    )
    assert {a.pk for a in again} == {a.pk for a in alerts} and Alert.objects.count() == 2


@pytest.mark.django_db
def test_sms_from_an_unknown_number_goes_to_the_county_desk_with_the_number_masked(
    paired: Personas, t0: datetime, caplog: pytest.LogCaptureFixture, help_number: str
) -> None:
    caplog.set_level(logging.INFO, logger="care365.protection")

    (alert,) = services.alert_raise_from_sms(
        phone="13598765432", text="村口有孩子受伤", to=help_number, now=t0
    )

    assert alert.child is None and alert.county == paired.county
    assert alert.sender_masked == "135****5432"
    assert alert.sender_phone == "13598765432"  # encrypted at rest, for the desk to call back
    with connection.cursor() as cursor:
        cursor.execute("SELECT sender_phone FROM protection_alert")
        (stored,) = cursor.fetchone()
    assert stored and "13598765432" not in stored
    assert alert.level == 3  # the desk's step
    desk = Notification.objects.filter(alert=alert)
    assert {(n.channel, n.recipient) for n in desk} == {("in_app", paired.admin)}
    assert desk.get().payload["sender"] == "135****5432"
    assert "13598765432" not in caplog.text and "135****5432" in caplog.text
    assert list(selectors.alerts_open_for_user(paired.admin)) == [alert]
    assert selectors.alerts_open_for_user(paired.director_a).count() == 0
    assert selectors.alerts_open_for_user(paired.other_admin).count() == 0
    card = selectors.safety_card(access.alert_get_for_user(paired.admin, alert.pk))
    assert card.child_id is None and card.sender_phone == "13598765432"
    again = services.alert_raise_from_sms(
        phone="135-9876-5432", text="还在", to=help_number, now=t0 + timedelta(minutes=2)
    )
    assert [a.pk for a in again] == [alert.pk]
