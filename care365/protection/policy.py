"""The escalation state machine: a pure core, with no Django (import-linter keeps it so).

An alert is raised at a *level*: the index of the policy step that fired last. Level 0 is the
first step (the assigned officer), fired when the alert is raised. Each step waits its
`wait_seconds` for an acknowledgement; when that deadline passes, the next level fires. Levels past
the last step repeat the last step (the county duty desk) every `repeat_seconds` until somebody
acknowledges.

Deadlines are computed from the *scheduled* deadline, never from the time a sweep happened to run,
so a late sweep does not push the rest of the schedule back. After downtime, the steps before the
last one fire one by one (each exactly once, so every person in the chain still hears about the
alert); missed *repeats* of the last step collapse into one, because repeating the same message to
the same desk ten times at once helps nobody.

The alert's life after it is raised is a small forward-only state machine:
open -> acknowledged -> on the way -> with the child -> resolved, where any later state may be
reached directly (an officer who sets out at once acknowledges by saying "on my way").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

# Who a step notifies.
ASSIGNED_OFFICER = "assigned_officer"
STATION_DUTY_OFFICER = "station_duty_officer"
TOWNSHIP_SUPERVISOR_AND_DIRECTOR = "township_supervisor_and_director"
COUNTY_DUTY_DESK = "county_duty_desk"
WHO = (ASSIGNED_OFFICER, STATION_DUTY_OFFICER, TOWNSHIP_SUPERVISOR_AND_DIRECTOR, COUNTY_DUTY_DESK)

# How a step notifies.
IN_APP = "in_app"
EMAIL = "email"
SMS = "sms"
CHANNELS = (IN_APP, EMAIL, SMS)

# Bounds a county's policy must keep.
MAX_STEPS = 10
MIN_WAIT_SECONDS = 1
MAX_WAIT_SECONDS = 24 * 3600

# Alert states, in their only order.
OPEN = "open"
ACKNOWLEDGED = "acknowledged"
ON_THE_WAY = "on_the_way"
WITH_CHILD = "with_child"
RESOLVED = "resolved"
STATES = (OPEN, ACKNOWLEDGED, ON_THE_WAY, WITH_CHILD, RESOLVED)


class PolicyError(ValueError):
    """A policy document that cannot be used; the message says which part and why."""


@dataclass(frozen=True)
class Step:
    who: str
    wait_seconds: int
    channels: tuple[str, ...]


@dataclass(frozen=True)
class Policy:
    steps: tuple[Step, ...]
    repeat_seconds: int

    @property
    def last(self) -> int:
        return len(self.steps) - 1

    def step_at(self, level: int) -> Step:
        """The step a level fires: levels past the last step repeat it."""
        if level < 0:
            raise ValueError("level must not be negative")
        return self.steps[min(level, self.last)]

    def wait_after(self, level: int) -> int:
        """Seconds to wait after `level` fired before the next level fires."""
        if level < 0:
            raise ValueError("level must not be negative")
        return self.steps[level].wait_seconds if level <= self.last else self.repeat_seconds

    def start_level(self, who: str) -> int:
        """The level an alert starts at when it must go straight to `who` (an SMS from an
        unknown number goes to the county duty desk); the last step if no step names `who`."""
        for index, step in enumerate(self.steps):
            if step.who == who:
                return index
        return self.last


DEFAULT_POLICY = Policy(
    steps=(
        Step(ASSIGNED_OFFICER, 60, (IN_APP, SMS, EMAIL)),
        Step(STATION_DUTY_OFFICER, 120, (IN_APP, SMS, EMAIL)),
        Step(TOWNSHIP_SUPERVISOR_AND_DIRECTOR, 180, (IN_APP, SMS, EMAIL)),
        Step(COUNTY_DUTY_DESK, 300, (IN_APP, SMS, EMAIL)),
    ),
    repeat_seconds=300,
)


def _seconds(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PolicyError(f"{where} must be a whole number of seconds")
    if not MIN_WAIT_SECONDS <= value <= MAX_WAIT_SECONDS:
        raise PolicyError(f"{where} must be between {MIN_WAIT_SECONDS} and {MAX_WAIT_SECONDS}")
    return value


def parse(data: Mapping[str, Any]) -> Policy:
    """A policy from its JSON form: {"steps": [{"who", "wait_seconds", "channels"}, ...],
    "repeat_seconds": n}. Raises PolicyError naming the first problem."""
    if not isinstance(data, Mapping):
        raise PolicyError("a policy is an object with steps and repeat_seconds")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise PolicyError("steps must be a non-empty list")
    if len(raw_steps) > MAX_STEPS:
        raise PolicyError(f"a policy has at most {MAX_STEPS} steps")
    steps: list[Step] = []
    for i, raw in enumerate(raw_steps, start=1):
        where = f"step {i}"
        if not isinstance(raw, Mapping):
            raise PolicyError(f"{where} must be an object")
        unknown = set(raw) - {"who", "wait_seconds", "channels"}
        if unknown:
            raise PolicyError(f"{where}: unknown field {sorted(unknown)[0]}")
        who = raw.get("who")
        if who not in WHO:
            raise PolicyError(f"{where}: who must be one of {', '.join(WHO)}")
        channels = raw.get("channels")
        if not isinstance(channels, list) or not channels:
            raise PolicyError(f"{where}: channels must be a non-empty list")
        if any(c not in CHANNELS for c in channels):
            raise PolicyError(f"{where}: channels must be among {', '.join(CHANNELS)}")
        if len(set(channels)) != len(channels):
            raise PolicyError(f"{where}: a channel is listed twice")
        wait = _seconds(raw.get("wait_seconds"), f"{where}: wait_seconds")
        steps.append(Step(str(who), wait, tuple(str(c) for c in channels)))
    unknown = set(data) - {"steps", "repeat_seconds"}
    if unknown:
        raise PolicyError(f"unknown field {sorted(unknown)[0]}")
    repeat = _seconds(data.get("repeat_seconds"), "repeat_seconds")
    return Policy(steps=tuple(steps), repeat_seconds=repeat)


def to_dict(policy: Policy) -> dict[str, Any]:
    """The JSON form `parse` reads."""
    return {
        "steps": [
            {"who": s.who, "wait_seconds": s.wait_seconds, "channels": list(s.channels)}
            for s in policy.steps
        ],
        "repeat_seconds": policy.repeat_seconds,
    }


@dataclass(frozen=True)
class Move:
    """One escalation: the level that fires now, its step, and when the following level is due."""

    level: int
    step: Step
    next_due: datetime
    repeats_skipped: int = 0


def first_deadline(policy: Policy, level: int, fired_at: datetime) -> datetime:
    """When the level after `level` is due, for a level that fired at `fired_at`."""
    return fired_at + timedelta(seconds=policy.wait_after(level))


def advance(policy: Policy, level: int, due_at: datetime, now: datetime) -> Move:
    """Fire the level after `level`, whose deadline `due_at` has passed (`due_at <= now`).

    The following deadline counts from `due_at`, so lateness does not accumulate. If that deadline
    has passed too and the new level is at (or past) the last step, the missed repeats of the last
    step are skipped: the next repeat is the first one on the schedule after `now`.
    """
    if due_at > now:
        raise ValueError("advance() is only for a deadline that has passed")
    new_level = level + 1
    next_due = due_at + timedelta(seconds=policy.wait_after(new_level))
    skipped = 0
    if new_level >= policy.last and next_due <= now:
        behind = (now - next_due).total_seconds()
        skipped = math.floor(behind / policy.repeat_seconds) + 1
        next_due += timedelta(seconds=skipped * policy.repeat_seconds)
    return Move(new_level, policy.step_at(new_level), next_due, skipped)


def levels_due(policy: Policy, level: int, due_at: datetime, now: datetime) -> list[Move]:
    """Every move a sweep at `now` makes for an alert at `level` whose next deadline is `due_at`
    (empty if it is not due yet): what `advance` gives when applied until the deadline is ahead."""
    moves: list[Move] = []
    while due_at <= now:
        move = advance(policy, level, due_at, now)
        moves.append(move)
        level, due_at = move.level, move.next_due
    return moves


def allowed_from(target: str) -> tuple[str, ...]:
    """The states an alert may move to `target` from: every earlier state."""
    if target not in STATES or target == OPEN:
        raise ValueError(f"an alert cannot move to {target!r}")
    return STATES[: STATES.index(target)]


def stops_escalation(state: str) -> bool:
    """Every state after open means somebody has answered: the escalation stops."""
    return state != OPEN
