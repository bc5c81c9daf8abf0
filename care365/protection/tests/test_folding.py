"""Repeats fold into the open alert with a count; unknown senders are rate-limited per county
(issue 12, finding 11). The services take `now`, so the clock is the tests'."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from care365.accounts.access import child_get_for_user
from care365.protection import access, services
from care365.protection.models import Alert, AlertEvent, InAppEvent, Notification
from conftest import Personas

pytestmark = pytest.mark.django_db


def _link(p: Personas, t0: datetime) -> str:
    child = child_get_for_user(p.director_a, p.child_a.pk, "view")
    _link, token = services.help_link_issue(actor=p.director_a, child=child, now=t0)
    return token


def test_fifteen_presses_are_one_alert_asked_fifteen_times(paired: Personas, t0: datetime) -> None:
    token = _link(paired, t0)
    services.alert_raise_from_help_link(token=token, now=t0)
    paged = Notification.objects.count()

    for press in range(1, 15):
        note = "孩子发烧不退" if press == 7 else ""
        services.alert_raise_from_help_link(
            token=token, note=note, now=t0 + timedelta(seconds=4 * press)
        )

    alert = Alert.objects.get()
    assert alert.request_count == 15
    (repeated,) = AlertEvent.objects.filter(alert=alert, kind="repeated")
    assert repeated.data["count"] == 14 and repeated.data["notes"] == ["孩子发烧不退"]
    # The raise paged the officer; the repeats paged nobody and rang the officer's open page
    # once, not 14 times.
    assert Notification.objects.count() == paged
    assert InAppEvent.objects.filter(user=paired.officer, kind="alert_repeated").count() == 1
    assert InAppEvent.objects.filter(user=paired.officer).count() <= 3


def test_presses_keep_ringing_but_at_most_once_per_fold(paired: Personas, t0: datetime) -> None:
    token = _link(paired, t0)

    # One press a minute for twenty minutes: the repeats ring at most every five minutes.
    for minute in range(21):
        services.alert_raise_from_help_link(token=token, now=t0 + timedelta(minutes=minute))

    alert = Alert.objects.get()
    assert alert.request_count == 21
    rings = InAppEvent.objects.filter(user=paired.officer, kind="alert_repeated").count()
    assert rings == AlertEvent.objects.filter(kind="repeated").count() == 4
    assert sum(e.data["count"] for e in AlertEvent.objects.filter(kind="repeated")) == 20


def test_the_count_shows_on_the_api_and_the_alert_page(
    paired: Personas, t0: datetime, client: Any
) -> None:
    token = _link(paired, t0)
    for press in range(3):
        services.alert_raise_from_help_link(token=token, now=t0 + timedelta(seconds=press))
    alert = Alert.objects.get()

    card = access.alert_get_for_user(paired.officer, alert.pk)
    assert card.request_count == 3
    client.force_login(paired.officer)
    html = client.get(f"/alerts/{alert.pk}/", headers={"Accept-Language": "en"}).content.decode()
    assert "Asked 3 times" in html
    html = client.get(f"/alerts/{alert.pk}/", headers={"Accept-Language": "zh-hans"})
    assert "求助 3 次" in html.content.decode()


def test_twenty_unknown_numbers_make_a_bounded_number_of_alerts(
    paired: Personas, t0: datetime, settings: Any, help_number: str
) -> None:
    limit = settings.SMS_UNKNOWN_SENDERS_PER_HOUR
    numbers = [f"135000000{n:02d}" for n in range(20)]

    for n, number in enumerate(numbers):
        services.alert_raise_from_sms(
            phone=number, text=f"第{n}条", to=help_number, now=t0 + timedelta(seconds=10 * n)
        )

    alerts = list(Alert.objects.order_by("pk"))
    assert len(alerts) == limit + 1
    singles, many = alerts[:limit], alerts[limit]
    assert [a.sender_phone for a in singles] == numbers[:limit]
    # The rest are folded into one alert that keeps every number for calling back.
    assert many.is_many_senders and many.sender_phones == numbers[limit:]
    assert many.request_count == 20 - limit
    assert many.sender_masked == ""
    # The desk (the county administrator) was paged once per alert, not once per number.
    assert Notification.objects.filter(recipient=paired.admin).count() == limit + 1
    rings = InAppEvent.objects.filter(user=paired.admin, kind="alert_repeated").count()
    assert rings <= 1


def test_a_repeat_from_an_unknown_number_folds_into_its_own_alert(
    paired: Personas, t0: datetime, help_number: str
) -> None:
    for n in range(6):
        services.alert_raise_from_sms(
            phone="13598765432", text="救命", to=help_number, now=t0 + timedelta(seconds=n)
        )

    alert = Alert.objects.get()
    assert alert.request_count == 6 and not alert.is_many_senders
    assert AlertEvent.objects.get(kind="repeated").data["count"] == 5


def test_after_the_hour_unknown_numbers_get_their_own_alerts_again(
    paired: Personas, t0: datetime, settings: Any, help_number: str
) -> None:
    settings.SMS_UNKNOWN_SENDERS_PER_HOUR = 2
    for n in range(4):
        services.alert_raise_from_sms(phone=f"1350000010{n}", text="x", to=help_number, now=t0)
    assert Alert.objects.count() == 3  # two, and one for the rest

    later = t0 + timedelta(hours=1, minutes=1)
    (alert,) = services.alert_raise_from_sms(
        phone="13500000200", text="y", to=help_number, now=later
    )

    assert not alert.is_many_senders and alert.sender_phone == "13500000200"
