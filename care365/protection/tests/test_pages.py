"""Instant protection pages: raise from a child's page, respond from the alert's page, the board,
the escalation policy, the family's help card and one-button page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from care365.pairing.models import Pairing
from care365.protection.models import Alert, AlertEvent, EscalationPolicy, HelpLink, Notification
from conftest import Personas

pytestmark = pytest.mark.django_db


@pytest.fixture
def paired(paired_personas: Personas) -> Personas:
    """Child A's officer is the persona `officer` (its doctor and volunteer the personas' too)."""
    return paired_personas


def test_director_raises_and_the_officer_responds(client: Client, paired: Personas) -> None:
    client.force_login(paired.director_a)
    child_page = client.get(reverse("registry:child-detail", args=[paired.child_a.pk]))
    assert "alert_form" in child_page.context
    response = client.post(
        reverse("protection:alert-raise", args=[paired.child_a.pk]),
        {"alert-kind": "missing", "alert-note": "放学未回家"},
    )
    alert = Alert.objects.get()
    assert response["Location"] == reverse("protection:alert-detail", args=[alert.pk])
    assert (alert.kind, alert.state, alert.raised_by) == ("missing", "open", paired.director_a)
    # The assigned officer is told in the app at once (in the same transaction).
    assert Notification.objects.filter(
        alert=alert, recipient=paired.officer, channel="in_app"
    ).exists()

    client.force_login(paired.officer)
    page = client.get(reverse("protection:alert-detail", args=[alert.pk]))
    assert page.status_code == 200
    card = page.context["card"]
    assert card.child_id == paired.child_a.pk and card.guardian.phone == "13900000000"
    assert "13900000000" in page.content.decode()

    for action in ("acknowledge", "on-the-way", "with-child"):
        assert (
            client.post(reverse("protection:alert-act", args=[alert.pk, action])).status_code == 302
        )
    client.post(
        reverse("protection:alert-act", args=[alert.pk, "resolve"]),
        {"resolution": "safe", "note": "在同学家找到"},
    )
    alert.refresh_from_db()
    assert alert.state == "resolved" and alert.resolution == "safe"
    kinds = list(AlertEvent.objects.filter(alert=alert).values_list("kind", flat=True))
    for kind in ("raised", "acknowledged", "on_the_way", "with_child", "resolved"):
        assert kind in kinds
    # A second resolve is refused with a message, not an error page.
    again = client.post(
        reverse("protection:alert-act", args=[alert.pk, "resolve"]),
        {"resolution": "safe"},
        follow=True,
    )
    assert again.status_code == 200 and list(again.context["messages"])


def test_a_volunteer_may_raise_but_sees_no_safety_card(client: Client, paired: Personas) -> None:
    client.force_login(paired.doctor)
    client.post(
        reverse("protection:alert-raise", args=[paired.child_a.pk]),
        {"alert-kind": "self_harm", "alert-note": ""},
    )
    alert = Alert.objects.get()
    page = client.get(reverse("protection:alert-detail", args=[alert.pk]))
    assert page.status_code == 200 and page.context["card"] is None
    assert (
        client.post(reverse("protection:alert-act", args=[alert.pk, "acknowledge"])).status_code
        == 403
    )


def test_board_lists_open_alerts_and_warns_without_a_worker(
    client: Client, paired: Personas
) -> None:
    client.force_login(paired.director_a)
    client.post(
        reverse("protection:alert-raise", args=[paired.child_a.pk]), {"alert-kind": "danger"}
    )
    client.force_login(paired.supervisor_a)
    board = client.get(reverse("protection:alert-board"))
    assert [r.alert.child_id for r in board.context["alerts"]] == [paired.child_a.pk]
    assert board.context["sweeper_healthy"] is False
    client.force_login(paired.director_b)
    assert client.get(reverse("protection:alert-board")).context["alerts"] == []


def test_admin_edits_the_escalation_policy(client: Client, personas: Personas) -> None:
    client.force_login(personas.admin)
    url = reverse("protection:escalation-policy")
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v not in (None, "", [])}
    data["step0_wait"] = 30
    data["repeat_seconds"] = 600
    saved = client.post(url, data)
    assert saved.status_code == 302, saved.context["form"].errors
    row = EscalationPolicy.objects.get(county=personas.county)
    assert row.steps[0]["wait_seconds"] == 30 and row.repeat_seconds == 600
    data["step0_channels"] = []
    bad = client.post(url, data)
    assert bad.status_code == 400 and "step0_channels" in bad.context["form"].errors


def test_help_card_and_the_one_button_page(client: Client, paired: Personas) -> None:
    client.force_login(paired.director_a)
    card = client.post(reverse("protection:help-card", args=[paired.child_a.pk]))
    assert card.status_code == 200
    url = card.context["url"]
    assert "<svg" in card.context["qr"]
    token = re.search(r"/h/([^/]+)/$", url).group(1)  # type: ignore[union-attr]
    assert paired.child_a.name not in url
    client.logout()

    page = client.get(f"/h/{token}/")
    assert page.status_code == 200 and page["Cache-Control"].startswith("max-age=0")
    sent = client.post(f"/h/{token}/", {"note": ""})
    assert sent.status_code == 200
    alert = Alert.objects.get()
    assert (alert.child, alert.source, alert.raised_by) == (paired.child_a, "help_link", None)

    # A new card stops the old one.
    client.force_login(paired.director_a)
    client.post(reverse("protection:help-card", args=[paired.child_a.pk]))
    client.logout()
    assert client.get(f"/h/{token}/").status_code == 404
    assert HelpLink.objects.filter(child=paired.child_a).count() == 2


@pytest.mark.parametrize("public_url", ["", "https://care.example.org"])
def test_the_link_in_a_message_opens_the_alerts_page(
    client: Client, paired: Personas, settings: Any, public_url: str
) -> None:
    """Messages carry the alert page's address without reversing the web app's URLs; it must be
    the page's real address, and the page must open for the officer it was sent to."""
    from care365.protection.channels import alert_link, render

    settings.PUBLIC_URL = public_url
    client.force_login(paired.director_a)
    client.post(
        reverse("protection:alert-raise", args=[paired.child_a.pk]), {"alert-kind": "danger"}
    )
    alert = Alert.objects.get()
    link = alert_link(alert.pk)
    assert link == f"{public_url}{reverse('protection:alert-detail', args=[alert.pk])}"
    assert link in render({"alert": alert.pk, "kind": "danger", "village": "x"}).text
    client.force_login(paired.officer)
    assert client.get(link.removeprefix(public_url)).status_code == 200


def _raise(client: Client, child_id: int, kind: str = "danger", note: str = "") -> Any:
    return client.post(
        reverse("protection:alert-raise", args=[child_id]),
        {"alert-kind": kind, "alert-note": note},
        follow=True,
        headers={"Accept-Language": "en"},
    )


def _said(page: Any) -> list[str]:
    return [str(m) for m in page.context["messages"]]


def test_the_raise_says_truthfully_who_is_being_told(client: Client, paired: Personas) -> None:
    client.force_login(paired.director_a)
    officer = paired.carers["police"]
    assert _said(_raise(client, paired.child_a.pk)) == [
        f"The alert is raised: telling officer {officer.name} (paired) now."
    ]
    # Without the pairing, the officers of the station covering the village hear at once.
    Pairing.objects.all().delete()
    page = _raise(client, paired.child_a.pk, kind="missing")
    station = officer.organisation.name
    assert _said(page) == [f"No paired officer: telling the 1 officer of {station} now."]
    alert = Alert.objects.get(kind="missing")
    assert Notification.objects.filter(
        alert=alert, recipient=paired.officer, channel="in_app", state="sent"
    ).exists()


def test_the_raiser_is_not_offered_acknowledge_on_their_own_alert(
    client: Client, paired: Personas
) -> None:
    client.force_login(paired.director_a)
    _raise(client, paired.child_a.pk)
    alert = Alert.objects.get()
    page = client.get(
        reverse("protection:alert-detail", args=[alert.pk]), headers={"Accept-Language": "en"}
    )
    html = page.content.decode()
    assert 'id="acknowledge"' not in html and 'id="raised-by-you"' in html
    assert (
        client.post(reverse("protection:alert-act", args=[alert.pk, "acknowledge"])).status_code
        == 403
    )
    alert.refresh_from_db()
    assert alert.state == "open"

    client.force_login(paired.officer)
    page = client.get(reverse("protection:alert-detail", args=[alert.pk]))
    assert 'id="acknowledge"' in page.content.decode()


def test_a_second_raise_from_the_page_folds_into_the_open_alert(
    client: Client, paired: Personas
) -> None:
    client.force_login(paired.director_a)
    _raise(client, paired.child_a.pk, note="在校门口哭")
    page = _raise(client, paired.child_a.pk, note="还在哭")
    alert = Alert.objects.get()
    assert alert.request_count == 2
    assert _said(page) == [
        "This child already has an open alert: it is raised again (asked 2 times)."
    ]
    assert page.redirect_chain[-1][0] == reverse("protection:alert-detail", args=[alert.pk])
    html = page.content.decode()
    assert 'id="alert-requests"' in html and "Asked 2 times" in html


def test_a_resolved_alert_shows_its_outcome_and_note(client: Client, paired: Personas) -> None:
    client.force_login(paired.director_a)
    _raise(client, paired.child_a.pk)
    alert = Alert.objects.get()
    client.force_login(paired.officer)
    client.post(
        reverse("protection:alert-act", args=[alert.pk, "resolve"]),
        {"resolution": "safe", "note": "在同学家找到"},
    )
    client.force_login(paired.director_a)
    page = client.get(
        reverse("protection:alert-detail", args=[alert.pk]), headers={"Accept-Language": "en"}
    )
    html = page.content.decode()
    outcome = html[html.index('id="alert-outcome"') :]
    assert "Safe" in outcome[:400] and "在同学家找到" in outcome[:600]


def test_the_board_lists_recently_resolved_alerts_with_outcome_and_note(
    client: Client, paired: Personas
) -> None:
    client.force_login(paired.director_a)
    _raise(client, paired.child_a.pk)
    alert = Alert.objects.get()
    client.force_login(paired.officer)
    client.post(
        reverse("protection:alert-act", args=[alert.pk, "resolve"]),
        {"resolution": "false_alarm", "note": "孩子在奶奶家"},
    )
    client.force_login(paired.supervisor_a)
    page = client.get(reverse("protection:alert-board"), headers={"Accept-Language": "en"})
    html = page.content.decode()
    resolved = html[html.index('id="recently-resolved"') :]
    assert "False alarm" in resolved and "孩子在奶奶家" in resolved
    # Nobody out of scope sees it there.
    client.force_login(paired.director_b)
    page = client.get(reverse("protection:alert-board"))
    assert 'id="recently-resolved"' not in page.content.decode()
