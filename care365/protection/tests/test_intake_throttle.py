"""Through the real webhook and the real help page: repeats and unknown senders are folded, and
the API shows the count (issue 12, finding 11)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from care365.accounts.tests.api_client import Api
from care365.protection.models import Alert, InAppEvent, Notification
from care365.protection.tests import test_api as test_protection
from care365.protection.tests.test_api import sms
from conftest import Personas

# The fixtures of the protection API tests: child A paired, and the webhook's shared secret.
paired = test_protection.paired
webhook = test_protection.webhook

pytestmark = pytest.mark.django_db


def test_twenty_unknown_numbers_page_the_desk_a_bounded_number_of_times(
    api: Api,
    webhook: Personas,
    settings: Any,
) -> None:
    for n in range(20):
        assert sms(api, {"from": f"1350000{n:04d}", "text": "救命"}).status_code == 200

    limit = settings.SMS_UNKNOWN_SENDERS_PER_HOUR
    assert Alert.objects.count() == limit + 1
    board = api.get("/alerts", user=webhook.admin).json()["items"]
    folded = next(r for r in board if r["sender"] == "")
    assert folded["requests"] == 20 - limit
    card = api.get(f"/alerts/{folded['id']}", user=webhook.admin).json()["safety_card"]
    assert card["sender_phone"].splitlines() == [f"1350000{n:04d}" for n in range(limit, 20)]
    assert Notification.objects.filter(recipient=webhook.admin).count() == limit + 1


def test_fifteen_presses_of_the_help_button(
    api: Api,
    client: Client,
    paired: Personas,
) -> None:
    client.force_login(paired.director_a)
    card = client.post(reverse("protection:help-card", args=[paired.child_a.pk]))
    token = re.search(r"/h/([^/\"]+)/", card.content.decode()).group(1)  # type: ignore[union-attr]
    client.logout()
    phone = Client(enforce_csrf_checks=True)  # a guardian's phone: no cookies, no CSRF token

    for _press in range(15):
        assert phone.post(f"/h/{token}/", {"note": ""}).status_code == 200

    (alert,) = api.get("/alerts", user=paired.officer).json()["items"]
    assert alert["requests"] == 15
    assert InAppEvent.objects.filter(user=paired.officer, kind="alert_repeated").count() == 1
