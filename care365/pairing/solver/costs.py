"""The cost of one pair and the reasons shown with it.

Every arc of the flow network is built from the same terms (network.py), so the cost of an
assignment computed here is exactly what the flow minimised. All costs are non-negative integers.

With the "full" objective the cost of pairing a child with a carer is

    distance_cost + language + (volunteers only) interest + woman_for_girl + change

- distance_cost = round(distance in metres * per_km / 1000), half up;
- language = language_mismatch * (languages the child speaks, besides the common ones, that the
  carer does not speak);
- interest = interest_mismatch if the child has interests and the volunteer's skills share none;
- woman_for_girl = woman_volunteer_for_girl_over_ten if the child is a girl over ten (11 or
  older) and the volunteer is not a woman;
- change = change_penalty unless the carer is the child's current carer of the role.

With the "distance" objective the cost is the distance in whole metres and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from care365.pairing.solver.model import Params


@dataclass(frozen=True, slots=True)
class ChildTraits:
    """What the cost of a child's pair depends on, besides the distance."""

    interests: frozenset[str]
    languages: frozenset[str]  # without the common languages
    girl_over_ten: bool


@dataclass(frozen=True, slots=True)
class CarerTraits:
    skills: frozenset[str]
    languages: frozenset[str]
    woman: bool


def child_traits(
    interests: tuple[str, ...],
    languages: tuple[str, ...],
    sex: str | None,
    age: int | None,
    params: Params,
) -> ChildTraits:
    return ChildTraits(
        interests=frozenset(interests),
        languages=frozenset(languages) - frozenset(params.common_languages),
        girl_over_ten=sex == "F" and age is not None and age > 10,
    )


def carer_traits(
    skills: tuple[str, ...], languages: tuple[str, ...], sex: str | None, params: Params
) -> CarerTraits:
    return CarerTraits(
        skills=frozenset(skills),
        languages=frozenset(languages) - frozenset(params.common_languages),
        woman=sex == "F",
    )


def distance_cost(distance_m: int, per_km: int) -> int:
    """Metres times cost per kilometre, in whole units, rounded half up."""
    return (distance_m * per_km + 500) // 1000


def traits_cost(role: str, child: ChildTraits, carer: CarerTraits, params: Params) -> int:
    """The soft-rule terms of a pair other than distance and continuity ("full" objective)."""
    w = params.weights
    cost = w.language_mismatch * len(child.languages - carer.languages)
    if role == "volunteer":
        if child.interests and not child.interests & carer.skills:
            cost += w.interest_mismatch
        if child.girl_over_ten and not carer.woman:
            cost += w.woman_volunteer_for_girl_over_ten
    return cost


def pair_cost(
    role: str,
    child: ChildTraits,
    carer: CarerTraits,
    distance_m: int,
    *,
    is_current: bool,
    params: Params,
) -> int:
    if params.objective == "distance":
        return distance_m
    w = params.weights
    return (
        distance_cost(distance_m, w.per_km)
        + traits_cost(role, child, carer, params)
        + (0 if is_current else w.change_penalty)
    )


def distance_label(distance_m: int) -> str:
    return f"{distance_m / 1000:.1f} km"


def pair_reasons(
    role: str,
    child: ChildTraits,
    carer: CarerTraits,
    distance_m: int,
    *,
    is_current: bool,
    locked: bool,
    beyond_range: bool,
    params: Params,
) -> list[str]:
    """Why this pair: its distance, then what it keeps and what the two share."""
    reasons = [distance_label(distance_m)]
    if locked:
        reasons.append("locked")
    if is_current:
        reasons.append("continuity")
    if params.objective == "distance":
        return reasons
    if beyond_range:
        reasons.append("service_area")
    if role == "volunteer":
        reasons.extend(f"interest:{x}" for x in sorted(child.interests & carer.skills))
    reasons.extend(f"language:{x}" for x in sorted(child.languages & carer.languages))
    if role == "volunteer" and child.girl_over_ten and carer.woman:
        reasons.append("woman_volunteer")
    return reasons
