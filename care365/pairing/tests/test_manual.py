"""A county administrator's hand on pairing: a carer assigned by hand (kept like a lock through
later runs), a full carer's capacity raised, and a carer who stops serving (their pairings end,
their children are gaps for the next run)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from care365.accounts import services as accounts_services
from care365.accounts.models import Role
from care365.accounts.tests.factories import UserFactory
from care365.carers.models import CarerRole
from care365.core.models import AuditEvent, Notice
from care365.pairing import services
from care365.pairing.models import (
    EndReason,
    Outcome,
    Pairing,
    PairingRun,
    PairRule,
    ProposedPair,
    UnpairedReason,
)
from care365.pairing.tests.factories import County

DOCTOR = CarerRole.DOCTOR


def test_a_carer_assigned_by_hand_starts_now_and_survives_later_runs(small: County) -> None:
    pairing = services.pairing_assign(actor=small.admin, child=small.c2, carer=small.p1)
    assert (pairing.carer, pairing.since, pairing.until) == (small.p1, timezone.localdate(), None)
    assert PairRule.objects.get(child=small.c2, role=CarerRole.POLICE).kind == PairRule.Kind.LOCK
    assert AuditEvent.objects.filter(action="pairing_assign", object_id=small.c2.pk).exists()
    assert Notice.objects.filter(recipient=small.user(small.p1), kind="pairing_changed").exists()

    run = services.pairing_propose(actor=small.admin, county=small.county)
    line = ProposedPair.objects.get(run=run, child=small.c2, role=CarerRole.POLICE)
    assert (line.carer, line.outcome, "locked" in line.reasons) == (small.p1, Outcome.KEPT, True)
    services.pairing_approve(actor=small.admin, run=run)
    assert Pairing.objects.get(child=small.c2, role=CarerRole.POLICE, until=None).pk == pairing.pk


def test_a_full_carer_is_refused_until_their_capacity_is_raised(small: County) -> None:
    run = services.pairing_propose(actor=small.admin, county=small.county)
    unpaired = run.figures["outcomes"][DOCTOR]["unpaired"]
    gap = ProposedPair.objects.get(run=run, child=small.c2, role=DOCTOR)
    assert (gap.outcome, gap.unpaired_reason) == (
        Outcome.UNPAIRED,
        UnpairedReason.CAPACITY_EXHAUSTED,
    )
    with pytest.raises(ValidationError) as full:
        services.pairing_assign(actor=small.admin, child=small.c2, carer=small.d1)
    assert full.value.error_dict["carer"][0].code == "capacity"
    assert not Pairing.objects.filter(child=small.c2, role=DOCTOR).exists()

    accounts_services.carer_update(actor=small.admin, carer=small.d1, values={"capacity": 2})
    services.pairing_assign(actor=small.admin, child=small.c2, carer=small.d1)

    # The open proposal keeps the assignment and still approves.
    gap.refresh_from_db()
    assert (gap.carer, gap.previous, gap.outcome) == (small.d1, small.d1, Outcome.KEPT)
    run.refresh_from_db()
    assert run.figures["outcomes"][DOCTOR]["unpaired"] == unpaired - 1
    services.pairing_approve(actor=small.admin, run=run)
    assert Pairing.objects.filter(child=small.c2, role=DOCTOR, carer=small.d1, until=None).exists()


def test_assigning_by_hand_replaces_todays_carer(small: County) -> None:
    services.pairing_assign(actor=small.admin, child=small.c1, carer=small.p1)
    ended = Pairing.objects.get(child=small.c1, carer=small.p0)
    assert (ended.until, ended.end_reason) == (timezone.localdate(), EndReason.REPLACED)
    assert Pairing.objects.get(child=small.c1, role=CarerRole.POLICE, until=None).carer == small.p1


def test_a_volunteer_needs_the_guardians_consent_and_a_forbidden_pair_stays_forbidden(
    small: County,
) -> None:
    with pytest.raises(ValidationError) as no_consent:
        services.pairing_assign(actor=small.admin, child=small.c3, carer=small.w1)
    assert no_consent.value.error_dict["carer"][0].code == "consent"
    services.pair_rule_set(actor=small.admin, child=small.c2, carer=small.p1, kind="forbid")
    with pytest.raises(ValidationError):
        services.pairing_assign(actor=small.admin, child=small.c2, carer=small.p1)
    with pytest.raises(ValidationError):  # inactive
        services.pairing_assign(actor=small.admin, child=small.c2, carer=small.p0)


def test_only_the_countys_administrator_assigns(small: County) -> None:
    director = UserFactory.create(role=Role.DIRECTOR, area=small.v1)
    other = UserFactory.create(role=Role.COUNTY_ADMIN, area=small.t2.parent)
    other.area = None  # no county: nobody's administrator
    for actor in (director, small.user(small.p1), other):
        with pytest.raises(PermissionDenied):
            services.pairing_assign(actor=actor, child=small.c2, carer=small.p1)
    assert not Pairing.objects.filter(child=small.c2).exists()


def test_a_deactivated_carers_children_become_gaps_for_the_next_run(small: County) -> None:
    run = services.pairing_propose(actor=small.admin, county=small.county)
    services.pair_rule_set(actor=small.admin, child=small.c1, carer=small.d1, kind="lock")

    ended = services.carer_deactivate(actor=small.admin, carer=small.d1)

    assert ended == 1
    small.d1.refresh_from_db()
    assert not small.d1.active
    old = Pairing.objects.get(child=small.c1, role=DOCTOR)
    assert (old.until, old.end_reason) == (timezone.localdate(), EndReason.CARER_LEFT)
    assert not PairRule.objects.filter(carer=small.d1, kind=PairRule.Kind.LOCK).exists()
    run.refresh_from_db()
    assert run.state == PairingRun.State.SUPERSEDED  # it may have paired children with them
    event = AuditEvent.objects.get(action="carer_deactivate")
    assert event.object_id == small.d1.pk and event.note.startswith("1 ")
    assert Notice.objects.filter(recipient=small.user(small.d1), kind="pairing_changed").exists()

    again = services.pairing_propose(actor=small.admin, county=small.county)
    gap = ProposedPair.objects.get(run=again, child=small.c1, role=DOCTOR)
    assert (gap.outcome, gap.carer) == (Outcome.UNPAIRED, None)
    assert services.carer_reactivate(actor=small.admin, carer=small.d1)


def test_only_the_carers_county_administrator_deactivates_them(small: County) -> None:
    director = UserFactory.create(role=Role.DIRECTOR, area=small.v1)
    with pytest.raises(PermissionDenied):
        services.carer_deactivate(actor=director, carer=small.d1)
    with pytest.raises(PermissionDenied):
        services.carer_deactivate(actor=small.user(small.d1), carer=small.d1)
    small.d1.refresh_from_db()
    assert small.d1.active
