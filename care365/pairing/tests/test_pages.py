"""The pairing pages: propose, review, lock and forbid, approve; settings; a child's team and
consents; a carer's notice."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib import messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from care365.carers.models import BackgroundCheck
from care365.core.models import Notice
from care365.pairing.models import EndReason, Pairing, PairingRun, PairingSettings, PairRule
from care365.registry.models import Consent, ConsentPurpose
from care365.registry.tests.factories import LeftBehindChildFactory
from conftest import Personas

pytestmark = pytest.mark.django_db


def _consent(personas: Personas) -> None:
    for child in (personas.child_a, personas.child_b):
        Consent.objects.create(
            child=child, purpose=ConsentPurpose.VOLUNTEER, given_on=date(2025, 1, 1)
        )
    volunteer = personas.carers["volunteer"]
    volunteer.background_check = BackgroundCheck.PASSED
    volunteer.background_checked_on = timezone.localdate()
    volunteer.trained_on = timezone.localdate()
    volunteer.save()


def _propose(client: Client) -> PairingRun:
    response = client.post(reverse("pairing:pairing-propose"))
    assert response.status_code == 302
    run = PairingRun.objects.get(state=PairingRun.State.PROPOSED)
    assert response["Location"] == reverse("pairing:pairing-run", args=[run.pk])
    return run


def test_admin_proposes_reviews_and_approves(client: Client, personas: Personas) -> None:
    _consent(personas)
    client.force_login(personas.admin)
    page = client.get(reverse("pairing:pairing"))
    assert page.status_code == 200
    assert page.context["run"] is None

    run = _propose(client)
    review = client.get(reverse("pairing:pairing-run", args=[run.pk]), {"role": "police"})
    assert review.status_code == 200
    rows = review.context["rows"]
    # Both children of the county are paired with the county's one officer, as new pairs.
    assert {r["line"].child_id for r in rows} == {personas.child_a.pk, personas.child_b.pk}
    assert {r["line"].carer_id for r in rows} == {personas.carers["police"].pk}
    assert all(r["line"].outcome == "new" for r in rows)
    assert "km" in review.content.decode() or "公里" in review.content.decode()

    approved = client.post(reverse("pairing:pairing-approve", args=[run.pk]), follow=True)
    assert approved.redirect_chain[-1][0] == reverse("pairing:pairing")
    assert Pairing.objects.filter(until__isnull=True).count() == 6  # 2 children x 3 roles
    run.refresh_from_db()
    assert run.state == PairingRun.State.APPROVED
    # The officer is told, without the child's name.
    notice = Notice.objects.get(recipient=personas.officer)
    assert notice.params == {"added": 2, "removed": 0}
    assert personas.child_a.name not in str(notice.params)

    # Approving again is refused with a message, and nothing changes.
    again = client.post(reverse("pairing:pairing-approve", args=[run.pk]), follow=True)
    assert [m.level for m in again.context["messages"]] == [messages.ERROR]
    assert Pairing.objects.count() == 6


def test_proposing_again_after_approval_keeps_everything(
    client: Client, personas: Personas
) -> None:
    _consent(personas)
    client.force_login(personas.admin)
    client.post(reverse("pairing:pairing-approve", args=[_propose(client).pk]))
    run = _propose(client)
    for outcomes in run.figures["outcomes"].values():
        assert outcomes["new"] == outcomes["changed"] == 0
        assert outcomes["kept"] + outcomes["unpaired"] == 2
    changes = client.get(reverse("pairing:pairing-run", args=[run.pk]))
    assert changes.context["rows"] == []  # the default view shows changes only


def test_lock_and_forbid_from_the_proposal(client: Client, personas: Personas) -> None:
    _consent(personas)
    client.force_login(personas.admin)
    run = _propose(client)
    here = reverse("pairing:pairing-run", args=[run.pk])
    officer = personas.carers["police"]
    response = client.post(
        reverse("pairing:pair-rule-set", args=[personas.child_a.pk]),
        {"carer": officer.pk, "kind": "forbid", "next": here},
    )
    assert response.status_code == 302 and response["Location"] == here
    assert PairRule.objects.filter(child=personas.child_a, carer=officer, kind="forbid").exists()
    # Proposing again leaves the child without an officer: the only one is forbidden.
    again = _propose(client)
    line = again.pairs.get(child=personas.child_a, role="police")
    assert line.carer_id is None and line.unpaired_reason == "no_eligible_in_range"

    # A redirect elsewhere than this site is not followed.
    rule = PairRule.objects.get(child=personas.child_a)
    away = client.post(
        reverse("pairing:pair-rule-remove", args=[personas.child_a.pk, rule.pk]),
        {"next": "https://example.com/"},
    )
    assert away["Location"] == reverse("registry:child-detail", args=[personas.child_a.pk])
    assert not PairRule.objects.exists()


def test_a_carer_of_another_county_cannot_be_locked(client: Client, personas: Personas) -> None:
    from care365.carers.tests.factories import CarerFactory

    stranger = CarerFactory.create(organisation__area=personas.other_village.parent)
    client.force_login(personas.admin)
    response = client.post(
        reverse("pairing:pair-rule-set", args=[personas.child_a.pk]),
        {"carer": stranger.pk, "kind": "lock"},
    )
    assert response.status_code == 404
    assert not PairRule.objects.exists()


def test_settings_are_validated_and_saved(client: Client, personas: Personas) -> None:
    client.force_login(personas.admin)
    url = reverse("pairing:pairing-settings")
    form = client.get(url).context["form"]
    data = {name: field.initial for name, field in form.fields.items()}
    data.update({"police_max_km": 25, "doctor_max_km": 20, "volunteer_max_km": 0})
    data.update({"background_check_valid_days": 1095})
    bad = client.post(url, data)
    assert bad.status_code == 400
    assert "volunteer_max_km" in bad.context["form"].errors
    data["volunteer_max_km"] = 8
    data["weight_change_penalty"] = 5000
    assert client.post(url, data).status_code == 302
    saved = PairingSettings.objects.get(county=personas.county)
    assert (saved.police_max_km, saved.volunteer_max_km) == (25, 8)
    assert saved.weights["change_penalty"] == 5000


def test_child_page_shows_the_team_to_registry_and_to_the_team(
    client: Client, personas: Personas
) -> None:
    _consent(personas)
    client.force_login(personas.admin)
    client.post(reverse("pairing:pairing-approve", args=[_propose(client).pk]))
    url = reverse("registry:child-detail", args=[personas.child_a.pk])
    for who in (personas.director_a, personas.officer, personas.volunteer):
        client.force_login(who)
        page = client.get(url)
        assert page.status_code == 200
        assert [p.role for p in page.context["team"]] == ["police", "doctor", "volunteer"]
        assert personas.carers["doctor"].name in page.content.decode()
    # Carers see no consents; the director does.
    client.force_login(personas.officer)
    assert client.get(url).context.get("consents") is None
    client.force_login(personas.director_a)
    assert len(client.get(url).context["consents"]) == 1


def test_withdrawing_volunteer_consent_ends_the_volunteer_pairing(
    client: Client, personas: Personas
) -> None:
    _consent(personas)
    client.force_login(personas.admin)
    client.post(reverse("pairing:pairing-approve", args=[_propose(client).pk]))
    client.force_login(personas.director_a)
    response = client.post(
        reverse("pairing:consent-withdraw", args=[personas.child_a.pk, ConsentPurpose.VOLUNTEER])
    )
    assert response.status_code == 302
    ended = Pairing.objects.get(child=personas.child_a, role="volunteer")
    assert ended.until is not None and ended.end_reason == EndReason.CONSENT_WITHDRAWN
    # The volunteer no longer sees the child.
    client.force_login(personas.volunteer)
    assert (
        client.get(reverse("registry:child-detail", args=[personas.child_a.pk])).status_code == 404
    )


def test_consent_is_recorded_once(client: Client, personas: Personas) -> None:
    client.force_login(personas.director_a)
    url = reverse("pairing:consent-record", args=[personas.child_a.pk])
    data = {"consent-purpose": "health_screening", "consent-reference": "JN-2026-001"}
    client.post(url, data)
    again = client.post(url, data, follow=True)
    assert Consent.objects.filter(child=personas.child_a).count() == 1
    assert Consent.objects.get().reference == "JN-2026-001"
    assert any("already" in str(m) or "已有记录" in str(m) for m in again.context["messages"])
    future = client.post(
        url, {"consent-purpose": "registry", "consent-given_on": "2999-01-01"}, follow=True
    )
    assert Consent.objects.filter(child=personas.child_a).count() == 1
    assert [m.level for m in future.context["messages"]] == [messages.ERROR]


def test_carer_home_lists_paired_children_and_the_notice(
    client: Client, personas: Personas
) -> None:
    _consent(personas)
    extra = LeftBehindChildFactory.create(village=personas.village_a)
    client.force_login(personas.admin)
    client.post(reverse("pairing:pairing-approve", args=[_propose(client).pk]))
    client.force_login(personas.doctor)
    home = client.get(reverse("web:home"))
    assert {row["id"] for row in home.context["rows"]} == {
        personas.child_a.pk,
        personas.child_b.pk,
        extra.pk,
    }
    assert len(home.context["notices"]) == 1
    client.post(reverse("web:notices-read"))
    assert client.get(reverse("web:home")).context["notices"] == []
