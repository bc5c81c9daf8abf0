"""The escalation state machine, on its own (no database)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from care365.protection import policy
from care365.protection.policy import DEFAULT_POLICY, Policy, PolicyError, Step

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_default_policy_is_60_120_180_then_every_300_seconds() -> None:
    assert [step.who for step in DEFAULT_POLICY.steps] == list(policy.WHO)
    # A sweep at each deadline as it comes.
    level, due, fired = 0, s(60), []
    for _ in range(5):
        (move,) = policy.levels_due(DEFAULT_POLICY, level, due, due)
        fired.append((move.level, move.step.who, move.next_due))
        level, due = move.level, move.next_due
    assert fired == [
        (1, "station_duty_officer", s(180)),
        (2, "township_supervisor_and_director", s(360)),
        (3, "county_duty_desk", s(660)),
        (4, "county_duty_desk", s(960)),
        (5, "county_duty_desk", s(1260)),
    ]


def test_a_sweep_after_downtime_fires_each_step_once_and_collapses_missed_repeats() -> None:
    """Down for an hour: officer -> duty officer -> supervisor -> desk all fire; the eleven
    missed repeats of the desk's step become one, the next on the schedule after now."""
    now = s(3600)
    moves = policy.levels_due(DEFAULT_POLICY, 0, s(60), now)
    assert [m.level for m in moves] == [1, 2, 3]
    assert moves[-1].step.who == "county_duty_desk"
    assert moves[-1].repeats_skipped == 10
    assert moves[-1].next_due == s(3660)  # 360 + 300 * 11: on the 300 s grid, after now
    assert moves[-1].next_due > now


def test_advance_refuses_a_deadline_still_ahead() -> None:
    with pytest.raises(ValueError, match="passed"):
        policy.advance(DEFAULT_POLICY, 0, s(60), s(59))
    assert policy.levels_due(DEFAULT_POLICY, 0, s(60), s(59.9)) == []


def test_start_level_for_the_desk_and_policies_without_one() -> None:
    assert DEFAULT_POLICY.start_level("county_duty_desk") == 3
    only_officer = Policy((Step("assigned_officer", 30, ("sms",)),), 60)
    assert only_officer.start_level("county_duty_desk") == 0
    assert policy.levels_due(only_officer, 0, s(30), s(100))[0].level == 1
    assert only_officer.step_at(7).who == "assigned_officer"


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"steps": [], "repeat_seconds": 300}, "non-empty"),
        (
            {
                "steps": [{"who": "mayor", "wait_seconds": 1, "channels": ["sms"]}],
                "repeat_seconds": 300,
            },
            "who",
        ),
        (
            {
                "steps": [{"who": "assigned_officer", "wait_seconds": 0, "channels": ["sms"]}],
                "repeat_seconds": 300,
            },
            "between",
        ),
        (
            {
                "steps": [{"who": "assigned_officer", "wait_seconds": "60", "channels": ["sms"]}],
                "repeat_seconds": 300,
            },
            "whole number",
        ),
        (
            {
                "steps": [{"who": "assigned_officer", "wait_seconds": True, "channels": ["sms"]}],
                "repeat_seconds": 300,
            },
            "whole number",
        ),
        (
            {
                "steps": [{"who": "assigned_officer", "wait_seconds": 60, "channels": []}],
                "repeat_seconds": 300,
            },
            "channels",
        ),
        (
            {
                "steps": [{"who": "assigned_officer", "wait_seconds": 60, "channels": ["fax"]}],
                "repeat_seconds": 300,
            },
            "among",
        ),
        (
            {
                "steps": [
                    {"who": "assigned_officer", "wait_seconds": 60, "channels": ["sms", "sms"]}
                ],
                "repeat_seconds": 300,
            },
            "twice",
        ),
        (
            {
                "steps": [
                    {"who": "assigned_officer", "wait_seconds": 60, "channels": ["sms"], "x": 1}
                ],
                "repeat_seconds": 300,
            },
            "unknown",
        ),
        (
            {"steps": [{"who": "assigned_officer", "wait_seconds": 60, "channels": ["sms"]}]},
            "repeat_seconds",
        ),
        (
            {
                "steps": [{"who": "assigned_officer", "wait_seconds": 60, "channels": ["sms"]}]
                * 11,
                "repeat_seconds": 300,
            },
            "at most",
        ),
        ([], "object"),
    ],
)
def test_parse_names_the_problem(document: object, problem: str) -> None:
    with pytest.raises(PolicyError, match=problem):
        policy.parse(document)  # type: ignore[arg-type]  # deliberately wrong shapes


def test_parse_and_to_dict_round_trip() -> None:
    assert policy.parse(policy.to_dict(DEFAULT_POLICY)) == DEFAULT_POLICY


def test_states_only_move_forward() -> None:
    assert policy.allowed_from("acknowledged") == ("open",)
    assert policy.allowed_from("resolved") == ("open", "acknowledged", "on_the_way", "with_child")
    with pytest.raises(ValueError):
        policy.allowed_from("open")
    assert not policy.stops_escalation("open")
    assert policy.stops_escalation("acknowledged")


steps_strategy = st.lists(
    st.builds(
        Step,
        who=st.sampled_from(policy.WHO),
        wait_seconds=st.integers(1, 3600),
        channels=st.just(("in_app",)),
    ),
    min_size=1,
    max_size=6,
)


@given(
    steps=steps_strategy,
    repeat=st.integers(1, 3600),
    level=st.integers(0, 8),
    late=st.floats(0, 50_000, allow_nan=False),
)
def test_escalation_properties(steps: list[Step], repeat: int, level: int, late: float) -> None:
    """However late the sweep: levels rise one at a time, every step before the last fires
    once, deadlines strictly increase and the last one is ahead of now, and past the last step
    it repeats the last step."""
    pol = Policy(tuple(steps), repeat)
    due = s(0)
    now = s(late)
    moves = policy.levels_due(pol, level, due, now)
    assert moves, "a due deadline always fires a step"
    assert [m.level for m in moves] == list(range(level + 1, level + 1 + len(moves)))
    deadlines = [due] + [m.next_due for m in moves]
    assert all(a < b for a, b in itertools.pairwise(deadlines))
    assert moves[-1].next_due > now
    for m in moves:
        assert m.step == pol.steps[min(m.level, pol.last)]
    # Steps up to the last one are never skipped: the late sweep fires exactly the ones a sweep
    # at every deadline would have fired by now.
    timely, at, fired_level = [], due, level
    while at <= now and fired_level <= pol.last:
        fired_level += 1
        timely.append(fired_level)
        at += timedelta(seconds=pol.wait_after(fired_level))
    assert [m.level for m in moves if m.level <= pol.last] == [t for t in timely if t <= pol.last]
    assert all(m.repeats_skipped == 0 for m in moves if m.level < pol.last)
    # At most one move at or past the last step per sweep (missed repeats collapse).
    assert sum(1 for m in moves if m.level > pol.last) <= 1
