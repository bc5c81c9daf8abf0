"""The pairing API: propose, read, approve, lock and forbid; a child's team and consents."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from care365.accounts.tests.api_client import Api
from care365.carers.models import BackgroundCheck
from care365.pairing.models import EndReason, Pairing, PairRule
from care365.registry.models import Consent, ConsentPurpose
from conftest import Personas

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(personas: Personas) -> Personas:
    """Both children of the county consent to a volunteer, and the volunteer is vetted."""
    for child in (personas.child_a, personas.child_b):
        Consent.objects.create(
            child=child, purpose=ConsentPurpose.VOLUNTEER, given_on=date(2025, 1, 1)
        )
    volunteer = personas.carers["volunteer"]
    volunteer.background_check = BackgroundCheck.PASSED
    volunteer.background_checked_on = timezone.localdate()
    volunteer.trained_on = timezone.localdate()
    volunteer.save()
    return personas


def test_propose_approve_and_see_the_team(api: Api, ready: Personas) -> None:
    proposed = api.post("/pairing/proposals", user=ready.admin, query={"role": "police"})
    assert proposed.status_code == 201, proposed.content
    data = proposed.json()
    assert data["state"] == "proposed"
    assert data["figures"]["children"] == 2
    police = data["figures"]["outcomes"]["police"]
    assert police == {"kept": 0, "new": 2, "changed": 0, "unpaired": 0}
    assert data["lines"]["count"] == 2
    line = data["lines"]["items"][0]
    assert line["carer"]["id"] == ready.carers["police"].pk
    assert line["previous"] is None and line["outcome"] == "new"
    assert line["reasons"][0].endswith(" km")

    approved = api.post(f"/pairing/proposals/{data['id']}/approve", user=ready.admin)
    assert approved.status_code == 200
    assert approved.json()["state"] == "approved"
    assert approved.json()["figures"]["applied"]["started"] == 6

    team = api.get(f"/children/{ready.child_a.pk}/team", user=ready.officer)
    assert team.status_code == 200
    assert [(m["role"], m["carer"]["id"]) for m in team.json()] == [
        ("police", ready.carers["police"].pk),
        ("doctor", ready.carers["doctor"].pk),
        ("volunteer", ready.carers["volunteer"].pk),
    ]
    # The officer now reaches the child; their team is one read in the access log.
    assert api.get(f"/children/{ready.child_a.pk}", user=ready.officer).status_code == 200


def test_approving_twice_or_a_stale_proposal_is_refused(api: Api, ready: Personas) -> None:
    first = api.post("/pairing/proposals", user=ready.admin).json()
    second = api.post("/pairing/proposals", user=ready.admin).json()
    superseded = api.post(f"/pairing/proposals/{first['id']}/approve", user=ready.admin)
    assert superseded.status_code == 422
    assert "no longer open" in superseded.json()["detail"]
    assert not Pairing.objects.exists()

    # Today's pairings change after the second proposal was made (another approval, here a
    # pairing written directly): approving it would undo that, so it is refused, all of it.
    Pairing.objects.create(
        child=ready.child_a,
        role="police",
        carer=ready.carers["police"],
        since=timezone.localdate(),
    )
    stale = api.post(f"/pairing/proposals/{second['id']}/approve", user=ready.admin)
    assert stale.status_code == 422
    assert "Propose again" in stale.json()["detail"]
    assert Pairing.objects.count() == 1


def test_rules_lock_and_forbid(api: Api, ready: Personas) -> None:
    officer = ready.carers["police"]
    forbid = api.post(
        "/pairing/rules",
        user=ready.admin,
        body={"child": ready.child_a.pk, "carer": officer.pk, "kind": "forbid"},
    )
    assert forbid.status_code == 201
    assert forbid.json()["role"] == "police" and forbid.json()["kind"] == "forbid"
    proposal = api.post(
        "/pairing/proposals", user=ready.admin, query={"role": "police", "outcome": "unpaired"}
    ).json()
    assert [(x["child"], x["unpaired_reason"]) for x in proposal["lines"]["items"]] == [
        (ready.child_a.pk, "no_eligible_in_range")
    ]
    removed = api.call("DELETE", f"/pairing/rules/{forbid.json()['id']}", user=ready.admin)
    assert removed.status_code == 204
    assert not PairRule.objects.exists()
    bad = api.post(
        "/pairing/rules",
        user=ready.admin,
        body={"child": ready.child_a.pk, "carer": officer.pk, "kind": "maybe"},
    )
    assert bad.status_code == 422
    assert list(bad.json()["errors"]) == ["kind"]


def test_consents_record_list_and_withdraw(api: Api, ready: Personas) -> None:
    api.post(
        f"/pairing/proposals/{api.post('/pairing/proposals', user=ready.admin).json()['id']}"
        "/approve",
        user=ready.admin,
    )
    url = f"/children/{ready.child_a.pk}/consents"
    recorded = api.post(
        url, user=ready.director_a, body={"purpose": "health_screening", "reference": "JN-7"}
    )
    assert recorded.status_code == 201
    assert recorded.json()["reference"] == "JN-7"
    again = api.post(url, user=ready.director_a, body={"purpose": "health_screening"})
    assert again.status_code == 422
    assert list(again.json()["errors"]) == ["purpose"]

    # Carers who see the child do not see the consents.
    assert api.get(url, user=ready.volunteer).status_code == 403

    withdrawn = api.post(f"{url}/withdraw", user=ready.director_a, body={"purpose": "volunteer"})
    assert withdrawn.status_code == 200
    assert {c["purpose"]: c["withdrawn_on"] is not None for c in withdrawn.json()} == {
        "volunteer": True,
        "health_screening": False,
    }
    ended = Pairing.objects.get(child=ready.child_a, role="volunteer")
    assert ended.end_reason == EndReason.CONSENT_WITHDRAWN
    assert api.get(f"/children/{ready.child_a.pk}", user=ready.volunteer).status_code == 404
