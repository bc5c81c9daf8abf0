"""The pairing solver: a pure core (no Django) that pairs every child with one carer per role.

    instance = instance_from_dict(json.load(f))   # InstanceError on bad input
    result = solve(instance, workers=2)           # exact: min-cost max-flow per role
    json.dump(result_to_dict(result), out)

The instance and result formats, the weights and the algorithm: docs/pairing.md.
"""

from __future__ import annotations

from care365.pairing.solver.greedy import greedy
from care365.pairing.solver.model import (
    DEFAULT_MAX_DISTANCE_KM,
    ROLES,
    UNPAIRED_REASONS,
    WEIGHT_NAMES,
    Assignment,
    CarerIn,
    ChildIn,
    Instance,
    InstanceError,
    Params,
    Result,
    Unpaired,
    Weights,
    instance_from_dict,
    instance_to_dict,
    result_to_dict,
)
from care365.pairing.solver.pipeline import solve

__all__ = [
    "DEFAULT_MAX_DISTANCE_KM",
    "ROLES",
    "UNPAIRED_REASONS",
    "WEIGHT_NAMES",
    "Assignment",
    "CarerIn",
    "ChildIn",
    "Instance",
    "InstanceError",
    "Params",
    "Result",
    "Unpaired",
    "Weights",
    "greedy",
    "instance_from_dict",
    "instance_to_dict",
    "result_to_dict",
    "solve",
]
