"""Pairing services on the database: proposing as a difference from today, approving in one
transaction, locks and forbidden pairs, volunteers' vetting and consent, the recruitment plan, and
what carers see through their pairings. The `small` county (factories.small_county) is small
enough to know every answer."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import override

from care365.accounts.access import child_get_for_user, children_for_user
from care365.areas.tests.factories import CountyFactory, TownshipFactory, VillageFactory
from care365.carers.models import BackgroundCheck, Carer, CarerRole
from care365.core.errors import NotFound
from care365.core.models import Notice
from care365.pairing import selectors, services
from care365.pairing.models import (
    EndReason,
    Outcome,
    Pairing,
    PairingRun,
    PairingSettings,
    PairRule,
    ProposedPair,
    UnpairedReason,
)
from care365.pairing.tests.factories import County, PairingFactory, carer, volunteer_consent
from care365.registry.models import Child, Consent, ConsentPurpose, ExitReason
from care365.registry.tests.factories import ChildFactory

pytestmark = pytest.mark.django_db

POLICE, DOCTOR, VOLUNTEER = CarerRole.POLICE, CarerRole.DOCTOR, CarerRole.VOLUNTEER
# 0.01 degree of latitude on the 6371.0088 km sphere, to the metre.
V1_TO_V2_M = 1112


def lines(run: PairingRun) -> dict[tuple[int, str], ProposedPair]:
    return {(p.child_id, p.role): p for p in run.pairs.all()}


def summary(run: PairingRun) -> dict[tuple[int, str], tuple[str, int | None, int | None, str]]:
    """(child, role) -> (outcome, carer, previous, unpaired reason) for every line."""
    return {
        key: (p.outcome, p.carer_id, p.previous_id, p.unpaired_reason)
        for key, p in lines(run).items()
    }


def open_pairings() -> set[tuple[int, str, int]]:
    return set(Pairing.objects.filter(until__isnull=True).values_list("child", "role", "carer"))


def everything() -> list[tuple[object, ...]]:
    """Every pairing with its dates and reason, to show that nothing changed."""
    return list(
        Pairing.objects.order_by("pk").values_list(
            "pk", "child", "role", "carer", "since", "until", "end_reason"
        )
    )


def propose(c: County) -> PairingRun:
    return services.pairing_propose(actor=c.admin, county=c.county)


# --- proposing ------------------------------------------------------------------------------


def test_proposal_is_a_difference_from_today_with_reasons(small: County) -> None:
    c = small
    run = propose(c)

    assert summary(run) == {
        # c1's officer left: changed to P1. c1 keeps the doctor, who has room for nobody else.
        (c.c1.pk, POLICE): (Outcome.CHANGED, c.p1.pk, c.p0.pk, ""),
        (c.c1.pk, DOCTOR): (Outcome.KEPT, c.d1.pk, c.d1.pk, ""),
        (c.c1.pk, VOLUNTEER): (Outcome.NEW, c.w1.pk, None, ""),
        (c.c2.pk, POLICE): (Outcome.NEW, c.p1.pk, None, ""),
        (c.c2.pk, DOCTOR): (Outcome.UNPAIRED, None, None, UnpairedReason.CAPACITY_EXHAUSTED),
        (c.c2.pk, VOLUNTEER): (Outcome.NEW, c.w1.pk, None, ""),
        (c.c3.pk, POLICE): (Outcome.NEW, c.p1.pk, None, ""),
        (c.c3.pk, DOCTOR): (Outcome.UNPAIRED, None, None, UnpairedReason.CAPACITY_EXHAUSTED),
        (c.c3.pk, VOLUNTEER): (Outcome.UNPAIRED, None, None, UnpairedReason.NO_CONSENT),
        # c4 lives 55 km away: beyond every role's reach.
        (c.c4.pk, POLICE): (Outcome.UNPAIRED, None, None, UnpairedReason.NO_ELIGIBLE_IN_RANGE),
        (c.c4.pk, DOCTOR): (Outcome.UNPAIRED, None, None, UnpairedReason.NO_ELIGIBLE_IN_RANGE),
        (c.c4.pk, VOLUNTEER): (Outcome.UNPAIRED, None, None, UnpairedReason.NO_ELIGIBLE_IN_RANGE),
    }
    assert run.state == PairingRun.State.PROPOSED
    assert run.county == c.county
    assert run.figures["children"] == 4
    assert run.figures["carers"] == 4
    assert run.figures["outcomes"] == {
        POLICE: {"kept": 0, "new": 2, "changed": 1, "unpaired": 1},
        DOCTOR: {"kept": 1, "new": 0, "changed": 0, "unpaired": 3},
        VOLUNTEER: {"kept": 0, "new": 2, "changed": 0, "unpaired": 2},
    }
    assert run.params["max_distance_km"] == {POLICE: 20, DOCTOR: 20, VOLUNTEER: 10}
    assert run.figures["seconds"] >= run.figures["solver_seconds"] >= 0

    by_key = lines(run)
    kept = by_key[(c.c1.pk, DOCTOR)]
    assert kept.reasons == ["0.0 km", "continuity"] and kept.distance_m == 0 and kept.cost == 0
    c3_police = by_key[(c.c3.pk, POLICE)]
    assert c3_police.distance_m == V1_TO_V2_M
    assert c3_police.reasons[0] == "1.1 km"
    # Distance at one unit a metre plus the change penalty (defaults).
    assert c3_police.cost == V1_TO_V2_M + 5000
    assert run.figures["total_cost"] == sum(p.cost for p in by_key.values())
    assert all(p.cost == 0 and p.reasons == [] for p in by_key.values() if p.carer_id is None)


def test_a_child_who_left_after_the_proposal_gets_no_carer_and_loses_their_own(
    small: County,
) -> None:
    c = small
    run = propose(c)
    Child.objects.filter(pk=c.c1.pk).update(
        exited_on=date(2026, 6, 1), exit_reason=ExitReason.MOVED_TO_PARENTS
    )
    services.pairing_approve(actor=c.admin, run=run)
    today = timezone.localdate()
    assert not Pairing.objects.filter(child=c.c1, until__isnull=True).exists()
    assert set(Pairing.objects.filter(child=c.c1).values_list("role", "until", "end_reason")) == {
        (POLICE, today, EndReason.CHILD_EXITED),
        (DOCTOR, today, EndReason.CHILD_EXITED),
    }
    assert open_pairings() == {
        (c.c2.pk, POLICE, c.p1.pk),
        (c.c2.pk, VOLUNTEER, c.w1.pk),
        (c.c3.pk, POLICE, c.p1.pk),
    }


def test_a_new_proposal_supersedes_the_open_one(small: County) -> None:
    first = propose(small)
    second = propose(small)
    first.refresh_from_db()
    assert first.state == PairingRun.State.SUPERSEDED
    assert second.state == PairingRun.State.PROPOSED
    assert selectors.run_latest(small.county) == second
    assert summary(first) == summary(second)


def test_children_who_left_and_other_counties_are_not_proposed(small: County) -> None:
    c = small
    gone = ChildFactory.create(
        village=c.v1, exited_on=date(2026, 1, 5), exit_reason=ExitReason.PARENTS_RETURNED
    )
    elsewhere = ChildFactory.create()  # a village of another county
    run = propose(c)
    children = set(run.pairs.values_list("child_id", flat=True))
    assert children == {c.c1.pk, c.c2.pk, c.c3.pk, c.c4.pk}
    assert gone.pk not in children and elsewhere.pk not in children


# --- approving ------------------------------------------------------------------------------


def test_approval_applies_the_proposal_and_tells_each_carer(small: County) -> None:
    c = small
    old_police = Pairing.objects.get(child=c.c1, role=POLICE)
    kept_doctor = Pairing.objects.get(child=c.c1, role=DOCTOR)
    run = propose(c)
    # A child who left after the proposal keeps no carer; a line for them is not applied.
    ChildFactory.create(village=c.v1)  # registered after the proposal: not in it, no pairing
    leaver = ChildFactory.create(village=c.v1)
    PairingFactory.create(child=leaver, role=POLICE, carer=c.p1)
    Child.objects.filter(pk=leaver.pk).update(
        exited_on=date(2026, 3, 1), exit_reason=ExitReason.AGED_OUT
    )

    approved = services.pairing_approve(actor=c.admin, run=run)

    today = timezone.localdate()
    assert approved.state == PairingRun.State.APPROVED
    assert approved.approved_by == c.admin and approved.approved_at is not None
    assert open_pairings() == {
        (c.c1.pk, POLICE, c.p1.pk),
        (c.c1.pk, DOCTOR, c.d1.pk),
        (c.c1.pk, VOLUNTEER, c.w1.pk),
        (c.c2.pk, POLICE, c.p1.pk),
        (c.c2.pk, VOLUNTEER, c.w1.pk),
        (c.c3.pk, POLICE, c.p1.pk),
    }
    old_police.refresh_from_db()
    assert (old_police.until, old_police.end_reason) == (today, EndReason.REPLACED)
    # The kept pairing is the same row, untouched.
    assert Pairing.objects.get(child=c.c1, role=DOCTOR, until__isnull=True).pk == kept_doctor.pk
    left = Pairing.objects.get(child=leaver)
    assert (left.until, left.end_reason) == (today, EndReason.CHILD_EXITED)
    new = Pairing.objects.filter(run=run).order_by("pk")
    assert new.count() == 5
    assert all(p.since == today for p in new)
    assert new.get(child=c.c3, role=POLICE).reasons[0] == "1.1 km"
    assert approved.figures["applied"] == {"started": 5, "ended": 2}

    notices = {n.recipient.username: n for n in Notice.objects.select_related("recipient")}
    # P1 gains three children and loses the one who left; D1's child did not change.
    assert {name: n.params for name, n in notices.items()} == {
        "p0": {"added": 0, "removed": 1},
        "p1": {"added": 3, "removed": 1},
        "w1": {"added": 2, "removed": 0},
    }
    for notice in notices.values():
        assert notice.kind == "pairing_changed"
        text = f"{notice.params} {notice.link}"
        assert all(child.name not in text for child in (c.c1, c.c2, c.c3, leaver))


def test_a_carer_who_cannot_be_kept_is_ended_without_replacement(small: County) -> None:
    c = small
    old = PairingFactory.create(child=c.c3, role=VOLUNTEER, carer=c.w1)  # c3 has no consent
    run = propose(c)
    line = run.pairs.get(child=c.c3, role=VOLUNTEER)
    assert (line.outcome, line.previous_id, line.unpaired_reason) == (
        Outcome.UNPAIRED,
        c.w1.pk,
        UnpairedReason.NO_CONSENT,
    )
    services.pairing_approve(actor=c.admin, run=run)
    old.refresh_from_db()
    assert old.until == timezone.localdate()
    assert old.end_reason == EndReason.NO_LONGER_ELIGIBLE
    assert Notice.objects.get(recipient__username="w1").params == {"added": 2, "removed": 1}


def test_proposing_right_after_approving_keeps_everything(small: County) -> None:
    c = small
    first = propose(c)
    services.pairing_approve(actor=c.admin, run=first)
    before = everything()

    again = propose(c)

    outcomes = {role: dict(o) for role, o in again.figures["outcomes"].items()}
    assert outcomes == {
        POLICE: {"kept": 3, "new": 0, "changed": 0, "unpaired": 1},
        DOCTOR: {"kept": 1, "new": 0, "changed": 0, "unpaired": 3},
        VOLUNTEER: {"kept": 2, "new": 0, "changed": 0, "unpaired": 2},
    }
    kept = {(p.child_id, p.role, p.carer_id) for p in again.pairs.filter(outcome=Outcome.KEPT)}
    assert kept == open_pairings()
    # Keeping costs no change penalty: an officer's or doctor's kept pair costs its distance.
    kept_lines = again.pairs.filter(outcome=Outcome.KEPT).exclude(role=VOLUNTEER)
    assert [p.cost for p in kept_lines] == [p.distance_m for p in kept_lines]
    # The same children stay without a carer, for the same reasons.
    unpaired = Outcome.UNPAIRED
    assert {k: v for k, v in summary(again).items() if v[0] == unpaired} == {
        k: v for k, v in summary(first).items() if v[0] == unpaired
    }
    # Approving a proposal that keeps everything changes nothing and tells nobody.
    Notice.objects.all().delete()
    services.pairing_approve(actor=c.admin, run=again)
    assert everything() == before
    assert not Notice.objects.exists()


def test_approving_twice_or_a_superseded_proposal_is_refused(small: County) -> None:
    c = small
    old = propose(c)
    run = propose(c)
    before = everything()
    with pytest.raises(ValidationError) as superseded:
        services.pairing_approve(actor=c.admin, run=old)
    assert superseded.value.code == "closed"
    assert everything() == before

    services.pairing_approve(actor=c.admin, run=run)
    after = everything()
    notices = Notice.objects.count()
    with pytest.raises(ValidationError) as twice:
        services.pairing_approve(actor=c.admin, run=run)
    assert twice.value.code == "closed"
    assert everything() == after
    assert Notice.objects.count() == notices
    old.refresh_from_db()
    assert old.state == PairingRun.State.SUPERSEDED


def _refused_as_stale(c: County, run: PairingRun) -> None:
    before = everything()
    with pytest.raises(ValidationError) as refused, override("en"):
        services.pairing_approve(actor=c.admin, run=run)
    assert refused.value.code == "stale"
    assert "Propose again" in refused.value.messages[0]
    # Nothing is half-written: the proposal is still open, pairings and notices as they were.
    run.refresh_from_db()
    assert run.state == PairingRun.State.PROPOSED and run.approved_at is None
    assert everything() == before
    assert not Notice.objects.exists()
    assert "applied" not in run.figures


def test_a_proposal_made_before_a_pairing_ended_is_refused(small: County) -> None:
    c = small
    run = propose(c)  # replaces c1's officer P0
    Pairing.objects.filter(child=c.c1, role=POLICE).update(
        until=timezone.localdate(), end_reason=EndReason.CARER_LEFT
    )
    _refused_as_stale(c, run)


def test_a_proposal_made_before_a_pairing_started_is_refused(small: County) -> None:
    c = small
    run = propose(c)  # c2's officer: new, P1
    PairingFactory.create(child=c.c2, role=POLICE, carer=c.p1)
    _refused_as_stale(c, run)


def test_a_proposal_that_keeps_a_pairing_ended_since_is_refused(small: County) -> None:
    c = small
    PairingFactory.create(child=c.c2, role=VOLUNTEER, carer=c.w1)
    run = propose(c)
    assert run.pairs.get(child=c.c2, role=VOLUNTEER).outcome == Outcome.KEPT
    services.consent_withdraw(actor=c.admin, child=c.c2)
    Notice.objects.all().delete()
    # Approving would leave c2 without the volunteer the proposal says is kept.
    _refused_as_stale(c, run)


def test_a_stale_proposal_is_refused_and_a_fresh_one_applies(small: County) -> None:
    c = small
    stale = propose(c)
    Pairing.objects.filter(child=c.c1, role=DOCTOR).update(
        until=timezone.localdate(), end_reason=EndReason.CARER_LEFT
    )
    _refused_as_stale(c, stale)
    fresh = propose(c)
    stale.refresh_from_db()
    assert stale.state == PairingRun.State.SUPERSEDED
    assert fresh.pairs.get(child=c.c1, role=DOCTOR).outcome == Outcome.NEW
    services.pairing_approve(actor=c.admin, run=fresh)
    assert (c.c1.pk, DOCTOR, c.d1.pk) in open_pairings()


# --- locks and forbidden pairs --------------------------------------------------------------


def test_a_locked_pair_is_kept_even_when_another_carer_is_nearer(small: County) -> None:
    c = small
    # P2 works 5.6 km north of V1: within reach, farther than P1.
    p2 = carer(POLICE, c.t1, at=(28.05, 120.0), capacity=10)
    assert propose(c).pairs.get(child=c.c2, role=POLICE).carer_id == c.p1.pk

    rule = services.pair_rule_set(actor=c.admin, child=c.c2, carer=p2, kind=PairRule.Kind.LOCK)
    assert (rule.role, rule.kind, rule.created_by) == (POLICE, "lock", c.admin)
    locked = propose(c)
    line = locked.pairs.get(child=c.c2, role=POLICE)
    assert line.carer_id == p2.pk and line.outcome == Outcome.NEW
    assert line.reasons[:2] == ["5.6 km", "locked"]

    # Kept through approval and the next proposal, whose cost never moves it back.
    services.pairing_approve(actor=c.admin, run=locked)
    again = propose(c).pairs.get(child=c.c2, role=POLICE)
    assert (again.carer_id, again.outcome) == (p2.pk, Outcome.KEPT)
    assert "locked" in again.reasons and "continuity" in again.reasons

    # Without the lock the child moves back to P1: 5.6 km nearer, more than a change costs (5 km).
    services.pair_rule_remove(actor=c.admin, rule=rule)
    unlocked = propose(c).pairs.get(child=c.c2, role=POLICE)
    assert (unlocked.carer_id, unlocked.outcome) == (c.p1.pk, Outcome.CHANGED)


def test_a_lock_beyond_reach_is_kept(small: County) -> None:
    c = small
    w_far = carer(VOLUNTEER, c.t2, at=c.v3, capacity=3)  # 55 km from c1, reach is 10 km
    services.pair_rule_set(actor=c.admin, child=c.c1, carer=w_far, kind=PairRule.Kind.LOCK)
    line = propose(c).pairs.get(child=c.c1, role=VOLUNTEER)
    assert line.carer_id == w_far.pk
    assert line.distance_m is not None and line.distance_m > 55_000


def test_a_forbidden_pair_is_never_made(small: County) -> None:
    c = small
    p2 = carer(POLICE, c.t1, at=(28.05, 120.0), capacity=10)
    services.pair_rule_set(actor=c.admin, child=c.c2, carer=c.p1, kind=PairRule.Kind.FORBID)
    run = propose(c)
    assert run.pairs.get(child=c.c2, role=POLICE).carer_id == p2.pk
    assert run.pairs.get(child=c.c3, role=POLICE).carer_id == c.p1.pk
    # Forbidding the other one too leaves the child without an officer rather than break it.
    services.pair_rule_set(actor=c.admin, child=c.c2, carer=p2, kind=PairRule.Kind.FORBID)
    line = propose(c).pairs.get(child=c.c2, role=POLICE)
    assert line.carer_id is None
    assert line.unpaired_reason == UnpairedReason.NO_ELIGIBLE_IN_RANGE
    # Forbidding today's pair ends it on approval.
    PairingFactory.create(child=c.c4, role=DOCTOR, carer=c.d1)
    services.pair_rule_set(actor=c.admin, child=c.c4, carer=c.d1, kind=PairRule.Kind.FORBID)
    run = propose(c)
    assert run.pairs.get(child=c.c4, role=DOCTOR).outcome == Outcome.UNPAIRED
    services.pairing_approve(actor=c.admin, run=run)
    assert not Pairing.objects.filter(child=c.c4, until__isnull=True).exists()


def test_a_new_rule_replaces_the_old_one_for_the_pair_and_the_role(small: County) -> None:
    c = small
    p2 = carer(POLICE, c.t1, at=c.v2, capacity=10)
    services.pair_rule_set(actor=c.admin, child=c.c2, carer=c.p1, kind=PairRule.Kind.LOCK)
    services.pair_rule_set(actor=c.admin, child=c.c2, carer=p2, kind=PairRule.Kind.LOCK)
    assert list(PairRule.objects.values_list("carer", "kind")) == [(p2.pk, "lock")]
    services.pair_rule_set(actor=c.admin, child=c.c2, carer=p2, kind=PairRule.Kind.FORBID)
    assert list(PairRule.objects.values_list("carer", "kind")) == [(p2.pk, "forbid")]
    with pytest.raises(ValidationError):
        services.pair_rule_set(actor=c.admin, child=c.c2, carer=c.p0, kind=PairRule.Kind.LOCK)
    with pytest.raises(ValidationError):
        services.pair_rule_set(actor=c.admin, child=c.c2, carer=c.p1, kind="keep")


def test_locking_more_children_than_a_carer_takes_is_refused(small: County) -> None:
    c = small  # D1 takes one child
    services.pair_rule_set(actor=c.admin, child=c.c1, carer=c.d1, kind=PairRule.Kind.LOCK)
    with pytest.raises(ValidationError) as refused:
        services.pair_rule_set(actor=c.admin, child=c.c2, carer=c.d1, kind=PairRule.Kind.LOCK)
    assert "carer" in refused.value.message_dict
    assert PairRule.objects.count() == 1


def test_locks_that_cannot_be_kept_do_not_stop_a_proposal(small: County) -> None:
    c = small
    # Two locks on D2, whose capacity was lowered to one after them, and a lock on a volunteer who
    # moved to another county: the proposal keeps the earliest lock and pairs the rest afresh.
    d2 = carer(DOCTOR, c.t1, at=c.v1, capacity=2)
    for child in (c.c2, c.c3):
        services.pair_rule_set(actor=c.admin, child=child, carer=d2, kind=PairRule.Kind.LOCK)
    Carer.objects.filter(pk=d2.pk).update(capacity=1)
    mover = carer(VOLUNTEER, c.t1, at=c.v1, capacity=3)
    services.pair_rule_set(actor=c.admin, child=c.c1, carer=mover, kind=PairRule.Kind.LOCK)
    mover.organisation.area = TownshipFactory.create()  # another county's township
    mover.organisation.save()

    run = propose(c)
    assert run.pairs.get(child=c.c2, role=DOCTOR).carer_id == d2.pk
    assert "locked" in run.pairs.get(child=c.c2, role=DOCTOR).reasons
    # D1 keeps c1 and D2 has c2: nobody in reach has room for c3.
    c3 = run.pairs.get(child=c.c3, role=DOCTOR)
    assert (c3.carer_id, c3.unpaired_reason) == (None, UnpairedReason.CAPACITY_EXHAUSTED)
    assert run.pairs.get(child=c.c1, role=VOLUNTEER).carer_id == c.w1.pk


# --- volunteers -----------------------------------------------------------------------------


def test_a_volunteer_needs_a_valid_background_check_and_training(small: County) -> None:
    c = small
    today = timezone.localdate()
    assert services.pairing_settings_for(c.county).background_check_valid_days == 3 * 365
    Carer.objects.filter(pk=c.w1.pk).update(active=False)
    on_the_day = today - timedelta(days=3 * 365)
    cases = {
        "valid to the last day": carer(
            VOLUNTEER, c.t1, at=c.v1, capacity=1, background_checked_on=on_the_day
        ),
        "expired a day ago": carer(
            VOLUNTEER,
            c.t1,
            at=c.v1,
            capacity=1,
            background_checked_on=on_the_day - timedelta(days=1),
        ),
        "not trained": carer(VOLUNTEER, c.t1, at=c.v1, capacity=1, trained_on=None),
        "check pending": carer(
            VOLUNTEER,
            c.t1,
            at=c.v1,
            capacity=1,
            background_check=BackgroundCheck.PENDING,
            background_checked_on=None,
        ),
        "check failed": carer(
            VOLUNTEER, c.t1, at=c.v1, capacity=1, background_check=BackgroundCheck.FAILED
        ),
        "never checked": carer(
            VOLUNTEER,
            c.t1,
            at=c.v1,
            capacity=1,
            background_check=BackgroundCheck.NOT_DONE,
            background_checked_on=None,
        ),
    }
    eligible = {
        record["id"]: record["eligible"]
        for record in services.county_instance(c.county, today=today).instance["carers"]
    }
    assert {name: eligible[str(v.pk)] for name, v in cases.items()} == {
        "valid to the last day": True,
        "expired a day ago": False,
        "not trained": False,
        "check pending": False,
        "check failed": False,
        "never checked": False,
    }
    assert eligible[str(c.w1.pk)] is False  # inactive
    assert eligible[str(c.p1.pk)] is True and eligible[str(c.p0.pk)] is False

    # Only the valid one pairs (capacity 1): one child with consent gets it, the other has nobody.
    run = services.pairing_propose(actor=c.admin, county=c.county, today=today)
    volunteers = {
        p.child_id: (p.carer_id, p.unpaired_reason) for p in run.pairs.filter(role=VOLUNTEER)
    }
    assert sorted(v for v, _r in volunteers.values() if v) == [cases["valid to the last day"].pk]
    assert volunteers[c.c3.pk] == (None, UnpairedReason.NO_CONSENT)
    assert sorted(r for v, r in volunteers.values() if not v) == [
        UnpairedReason.CAPACITY_EXHAUSTED,
        UnpairedReason.NO_CONSENT,
        UnpairedReason.NO_ELIGIBLE_IN_RANGE,
    ]
    # The next day the check has expired too: nobody in reach is eligible.
    tomorrow = services.pairing_propose(
        actor=c.admin, county=c.county, today=today + timedelta(days=1)
    )
    assert set(tomorrow.pairs.filter(role=VOLUNTEER).values_list("unpaired_reason", flat=True)) == {
        UnpairedReason.NO_ELIGIBLE_IN_RANGE,
        UnpairedReason.NO_CONSENT,
    }


def test_the_validity_period_is_the_countys_setting(small: County) -> None:
    c = small
    PairingSettings.objects.create(county=c.county, background_check_valid_days=100)
    run = propose(c)  # W1's check was 200 days ago
    assert not run.pairs.filter(role=VOLUNTEER, carer__isnull=False).exists()


def test_a_withdrawn_or_missing_consent_means_no_volunteer(small: County) -> None:
    c = small
    Consent.objects.filter(child=c.c2).update(withdrawn_on=date(2026, 1, 1))
    run = propose(c)
    assert run.pairs.get(child=c.c2, role=VOLUNTEER).unpaired_reason == UnpairedReason.NO_CONSENT
    assert run.pairs.get(child=c.c1, role=VOLUNTEER).carer_id == c.w1.pk


def test_withdrawing_volunteer_consent_ends_the_volunteer_pairing(small: County) -> None:
    c = small
    services.pairing_approve(actor=c.admin, run=propose(c))
    Notice.objects.all().delete()
    volunteer = c.user(c.w1)
    assert set(children_for_user(volunteer)) == {c.c1, c.c2}

    ended = services.consent_withdraw(actor=c.admin, child=c.c1)

    assert ended == 1
    today = timezone.localdate()
    pairing = Pairing.objects.get(child=c.c1, role=VOLUNTEER)
    assert (pairing.until, pairing.end_reason) == (today, EndReason.CONSENT_WITHDRAWN)
    assert Consent.objects.get(child=c.c1, purpose=ConsentPurpose.VOLUNTEER).withdrawn_on == today
    # The officer and the doctor stay.
    assert {r for _c, r, _k in open_pairings() if _c == c.c1.pk} == {POLICE, DOCTOR}
    assert Notice.objects.get().params == {"added": 0, "removed": 1}
    assert Notice.objects.get().recipient == volunteer
    assert set(children_for_user(volunteer)) == {c.c2}
    with pytest.raises(ValidationError):  # nothing left to withdraw
        services.consent_withdraw(actor=c.admin, child=c.c1)
    assert services.pairing_propose(actor=c.admin, county=c.county).pairs.get(
        child=c.c1, role=VOLUNTEER
    ).unpaired_reason == (UnpairedReason.NO_CONSENT)


# --- the recruitment plan -------------------------------------------------------------------


def test_recruitment_plan_per_township_and_role(small: County) -> None:
    c = small
    Carer.objects.filter(pk=c.w1.pk).update(capacity=2)  # volunteers' typical capacity: 2
    more = ChildFactory.create_batch(4, village=c.v3)  # five children in V3, out of every reach
    for child in more:
        volunteer_consent(child)
    run = propose(c)

    plan = {
        (need.township.code, need.role): (
            need.no_carer_in_reach,
            need.carers_needed,
            need.capacity_short,
        )
        for need in selectors.recruitment_plan(run)
    }
    assert plan == {
        # T1: two children in reach of the one doctor, who is full; c3 needs consent, not carers.
        (c.t1.code, DOCTOR): (0, 0, 2),
        # T2: five children with nobody in reach; typical capacities 10, 1 and 2.
        (c.t2.code, POLICE): (5, 1, 0),
        (c.t2.code, DOCTOR): (5, 5, 0),
        (c.t2.code, VOLUNTEER): (5, 3, 0),
    }
    assert [(n.township.code, n.role) for n in selectors.recruitment_plan(run)] == [
        (c.t1.code, DOCTOR),
        (c.t2.code, POLICE),
        (c.t2.code, DOCTOR),
        (c.t2.code, VOLUNTEER),
    ]


def test_recruitment_plan_is_empty_when_every_child_is_paired() -> None:
    county = CountyFactory.create(code="331198", latitude=28.0, longitude=120.0)
    township = TownshipFactory.create(parent=county, latitude=28.0, longitude=120.0)
    village = VillageFactory.create(parent=township, latitude=28.0, longitude=120.0)
    for role in CarerRole.values:
        carer(role, township, at=village, capacity=3)
    for child in ChildFactory.create_batch(3, village=village):
        volunteer_consent(child)
    run = services.pairing_propose(actor=None, county=county)
    assert run.figures["outcomes"][VOLUNTEER]["new"] == 3
    assert selectors.recruitment_plan(run) == []


# --- what carers see ------------------------------------------------------------------------


def test_a_carer_sees_exactly_the_children_of_their_open_pairings(small: County) -> None:
    c = small
    p0, p1, d1, w1 = (c.user(x) for x in (c.p0, c.p1, c.d1, c.w1))
    assert set(children_for_user(p0)) == {c.c1}
    assert set(children_for_user(d1)) == {c.c1}
    assert not children_for_user(p1).exists() and not children_for_user(w1).exists()
    with pytest.raises(NotFound):
        child_get_for_user(p1, c.c2.pk, "view")

    services.pairing_approve(actor=c.admin, run=propose(c))

    assert set(children_for_user(p1)) == {c.c1, c.c2, c.c3}
    assert set(children_for_user(d1)) == {c.c1}
    assert set(children_for_user(w1)) == {c.c1, c.c2}
    assert child_get_for_user(p1, c.c3.pk, "view") == c.c3
    assert child_get_for_user(w1, str(c.c2.pk), "view") == c.c2
    # No longer once the pairing ended: P0 was replaced.
    assert not children_for_user(p0).exists()
    with pytest.raises(NotFound):
        child_get_for_user(p0, c.c1.pk, "view")
    # Never a child the carer is not paired with, nor one of another role's pairings.
    for user, child in ((p1, c.c4), (d1, c.c2), (w1, c.c3), (w1, c.c4)):
        with pytest.raises(NotFound):
            child_get_for_user(user, child.pk, "view")
    # A carer reads but does not edit the registry.
    with pytest.raises(PermissionDenied):
        child_get_for_user(p1, c.c1.pk, "edit")

    # When the child leaves the registry their pairings end on the next approval.
    Child.objects.filter(pk=c.c2.pk).update(
        exited_on=date(2026, 6, 1), exit_reason=ExitReason.MOVED_AWAY
    )
    services.pairing_approve(actor=c.admin, run=propose(c))
    assert set(children_for_user(p1)) == {c.c1, c.c3}
    assert set(children_for_user(w1)) == {c.c1}


def test_child_team_lists_the_open_pairings_by_role(small: County) -> None:
    c = small
    services.pairing_approve(actor=c.admin, run=propose(c))
    team = selectors.child_team(c.c1)
    assert [(p.role, p.carer_id) for p in team] == [
        (POLICE, c.p1.pk),
        (DOCTOR, c.d1.pk),
        (VOLUNTEER, c.w1.pk),
    ]
    assert [(p.role, p.carer_id) for p in selectors.child_team(c.c4)] == []
