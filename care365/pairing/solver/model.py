"""The solver's input and output: plain dataclasses, read from and written to JSON-like dicts.

The format is described in docs/pairing.md. `instance_from_dict` checks everything the solver
relies on and raises `InstanceError` with a message that names the offending record and field.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

ROLES: tuple[str, ...] = ("police", "doctor", "volunteer")
OBJECTIVES: tuple[str, ...] = ("full", "distance")
DEFAULT_MAX_DISTANCE_KM: dict[str, float] = {"police": 20.0, "doctor": 20.0, "volunteer": 10.0}
DEFAULT_COMMON_LANGUAGES: tuple[str, ...] = ("mandarin",)
MAX_WEIGHT = 1_000_000
MAX_PER_KM = 100_000
MAX_CAPACITY = 1_000_000

Objective = Literal["full", "distance"]

# Most children have no current, locked or forbidden carers: they share this empty mapping.
NOTHING: Mapping[str, Any] = MappingProxyType({})


class InstanceError(ValueError):
    """The instance cannot be solved as given; the message says which record and field."""


@dataclass(frozen=True, slots=True)
class Weights:
    """Weights of the soft rules, in cost units (with the defaults one unit is one metre).

    - `per_km`: cost of one kilometre of great-circle distance between child and carer.
    - `interest_mismatch`: a volunteer whose skills share none of the child's interests (only for
      children with at least one interest).
    - `language_mismatch`: per language the child speaks, other than the common ones, that the
      carer does not speak.
    - `woman_volunteer_for_girl_over_ten`: a girl over ten (11 or older) whose volunteer is not a
      woman.
    - `change_penalty`: every pair that is not the child's current pair for the role; keeping
      today's pair costs nothing extra, so proposing again with nothing changed changes nothing.
    """

    per_km: int = 1000
    interest_mismatch: int = 2000
    language_mismatch: int = 3000
    woman_volunteer_for_girl_over_ten: int = 5000
    change_penalty: int = 5000


WEIGHT_NAMES: tuple[str, ...] = tuple(Weights.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class Params:
    objective: Objective = "full"
    max_distance_km: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_MAX_DISTANCE_KM)
    )
    weights: Weights = field(default_factory=Weights)
    # Languages everybody is expected to speak: the language rule ignores them.
    common_languages: tuple[str, ...] = DEFAULT_COMMON_LANGUAGES


@dataclass(slots=True)
class ChildIn:
    id: str
    lat: float
    lon: float
    sex: str | None = None  # "M" or "F"
    age: int | None = None  # whole years
    interests: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    consent: bool = False  # the guardian consented to a volunteer
    current: Mapping[str, str] = field(default_factory=lambda: NOTHING)  # role -> carer id
    locked: Mapping[str, str] = field(default_factory=lambda: NOTHING)  # role -> carer id
    forbidden: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: NOTHING)
    area: str | None = None  # the child's village code
    region: str | None = None  # e.g. the county: pairs never cross regions


@dataclass(slots=True)
class CarerIn:
    id: str
    role: str
    lat: float
    lon: float
    capacity: int
    sex: str | None = None
    skills: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    eligible: bool = True
    service_areas: tuple[str, ...] = ()  # village codes the carer serves whatever the distance
    region: str | None = None


@dataclass(slots=True)
class Instance:
    params: Params
    children: list[ChildIn]
    carers: list[CarerIn]


@dataclass(slots=True)
class Assignment:
    child: str
    role: str
    carer: str
    cost: int
    reasons: list[str]
    distance_m: int


@dataclass(slots=True)
class Unpaired:
    child: str
    role: str
    reason: str  # no_consent | no_eligible_in_range | capacity_exhausted


@dataclass(slots=True)
class Result:
    assignments: list[Assignment]
    unpaired: list[Unpaired]
    total_cost: int
    paired: int  # (child, role) pairs made, locked ones included
    seconds: float  # the whole solve
    flow_seconds: float  # inside OR-Tools only


UNPAIRED_REASONS: tuple[str, ...] = ("no_consent", "no_eligible_in_range", "capacity_exhausted")


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while millions of acyclic objects are made (3x faster)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --- reading ------------------------------------------------------------------------------------


class _FieldError(Exception):
    """A field is wrong; the caller adds which record."""


def _where(kind: str, index: int, record: Any) -> str:
    ident = record.get("id") if isinstance(record, Mapping) else None
    return f"{kind}[{index}]" + (f" (id {ident!r})" if isinstance(ident, str | int) else "")


def _id(value: Any, name: str = "id") -> str:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        raise _FieldError(f"{name!r} must not be empty")
    raise _FieldError(f"{name!r} must be a string, got {value!r}")


def _number(record: Mapping[str, Any], name: str, low: float, high: float) -> float:
    if name not in record:
        raise _FieldError(f"{name!r} is missing")
    value = record[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _FieldError(f"{name!r} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise _FieldError(f"{name!r} must be between {low:g} and {high:g}, got {value!r}")
    return number


def _int(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _FieldError(f"{name!r} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise _FieldError(f"{name!r} must be between {low} and {high}, got {value!r}")
    return value


def _bool(record: Mapping[str, Any], name: str, default: bool) -> bool:
    value = record.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _FieldError(f"{name!r} must be true or false, got {value!r}")
    return value


class _Reader:
    """Reads records; equal lists of strings become one shared tuple."""

    def __init__(self) -> None:
        self.tuples: dict[tuple[str, ...], tuple[str, ...]] = {(): ()}

    def strings(self, record: Mapping[str, Any], name: str) -> tuple[str, ...]:
        value = record.get(name)
        if not value:
            if value is None or isinstance(value, list | tuple):
                return ()
            raise _FieldError(f"{name!r} must be a list of strings")
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise _FieldError(f"{name!r} must be a list of strings")
        items = tuple(dict.fromkeys(value))
        return self.tuples.setdefault(items, items)

    def child(self, record: Any) -> ChildIn:
        if not isinstance(record, Mapping):
            raise _FieldError("must be an object")
        if "id" not in record:
            raise _FieldError("'id' is missing")
        age = record.get("age")
        return ChildIn(
            id=_id(record["id"]),
            lat=_number(record, "lat", -90.0, 90.0),
            lon=_number(record, "lon", -180.0, 180.0),
            sex=_sex(record),
            age=None if age is None else _int(age, "age", 0, 150),
            interests=self.strings(record, "interests"),
            languages=self.strings(record, "languages"),
            consent=_bool(record, "consent", False),
            current=_carer_by_role(record, "current"),
            locked=_carer_by_role(record, "locked"),
            forbidden=_forbidden(record),
            area=_optional_string(record, "area"),
            region=_optional_string(record, "region"),
        )

    def carer(self, record: Any) -> CarerIn:
        if not isinstance(record, Mapping):
            raise _FieldError("must be an object")
        for name in ("id", "role", "capacity"):
            if name not in record:
                raise _FieldError(f"{name!r} is missing")
        return CarerIn(
            id=_id(record["id"]),
            role=_role(record["role"]),
            lat=_number(record, "lat", -90.0, 90.0),
            lon=_number(record, "lon", -180.0, 180.0),
            capacity=_int(record["capacity"], "capacity", 0, MAX_CAPACITY),
            sex=_sex(record),
            skills=self.strings(record, "skills"),
            languages=self.strings(record, "languages"),
            eligible=_bool(record, "eligible", True),
            service_areas=self.strings(record, "service_areas"),
            region=_optional_string(record, "region"),
        )


def _optional_string(record: Mapping[str, Any], name: str) -> str | None:
    value = record.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _FieldError(f"{name!r} must be a string")
    return value


def _sex(record: Mapping[str, Any]) -> str | None:
    value = record.get("sex")
    if value is None or value == "":
        return None
    if value not in ("M", "F"):
        raise _FieldError(f'\'sex\' must be "M" or "F", got {value!r}')
    return str(value)


def _role(value: Any) -> str:
    if value not in ROLES:
        raise _FieldError(f"unknown role {value!r} (expected one of {', '.join(ROLES)})")
    return str(value)


def _by_role(record: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = record.get(name)
    if not value:
        if value is None or isinstance(value, Mapping):
            return NOTHING
        raise _FieldError(f"{name!r} must be an object keyed by role")
    if not isinstance(value, Mapping):
        raise _FieldError(f"{name!r} must be an object keyed by role")
    for role in value:
        if role not in ROLES:
            raise _FieldError(
                f"{name!r}: unknown role {role!r} (expected one of {', '.join(ROLES)})"
            )
    return value


def _carer_by_role(record: Mapping[str, Any], name: str) -> Mapping[str, str]:
    given = _by_role(record, name)
    if not given:
        return NOTHING
    out = {role: _id(c, f"{name} {role}") for role, c in given.items() if c is not None}
    return out or NOTHING


def _forbidden(record: Mapping[str, Any]) -> Mapping[str, tuple[str, ...]]:
    given = _by_role(record, "forbidden")
    if not given:
        return NOTHING
    out: dict[str, tuple[str, ...]] = {}
    for role, ids in given.items():
        if not isinstance(ids, list | tuple):
            raise _FieldError(f"'forbidden' {role!r} must be a list of carer ids")
        out[role] = tuple(dict.fromkeys(_id(i, f"forbidden {role}") for i in ids))
    return out or NOTHING


def _params(data: Any) -> Params:
    if data is None:
        return Params()
    if not isinstance(data, Mapping):
        raise InstanceError("params: must be an object")
    objective = data.get("objective", "full")
    if objective not in OBJECTIVES:
        raise InstanceError(
            f'params: \'objective\' must be "full" or "distance", got {objective!r}'
        )
    distances = dict(DEFAULT_MAX_DISTANCE_KM)
    given = data.get("max_distance_km") or {}
    if not isinstance(given, Mapping):
        raise InstanceError("params: 'max_distance_km' must be an object keyed by role")
    weights_given = data.get("weights") or {}
    if not isinstance(weights_given, Mapping):
        raise InstanceError("params: 'weights' must be an object")
    values: dict[str, int] = {}
    try:
        for role in given:
            _role(role)
            distances[role] = _number(given, role, 0.0, 20_100.0)
            if distances[role] <= 0:
                raise _FieldError(f"{role!r} must be above 0")
        for name, value in weights_given.items():
            if name not in WEIGHT_NAMES:
                raise _FieldError(f"unknown weight {name!r} (expected {', '.join(WEIGHT_NAMES)})")
            values[name] = _int(value, name, 0, MAX_PER_KM if name == "per_km" else MAX_WEIGHT)
    except _FieldError as bad:
        raise InstanceError(f"params: {bad}") from None
    common = data.get("common_languages", DEFAULT_COMMON_LANGUAGES)
    if not isinstance(common, list | tuple) or not all(isinstance(c, str) for c in common):
        raise InstanceError("params: 'common_languages' must be a list of strings")
    return Params(
        objective="distance" if objective == "distance" else "full",
        max_distance_km=distances,
        weights=Weights(**values),
        common_languages=tuple(common),
    )


def instance_from_dict(data: Any) -> Instance:
    """Read and check an instance (docs/pairing.md); raise InstanceError on bad input."""
    if not isinstance(data, Mapping):
        raise InstanceError("the instance must be an object with 'params', 'children', 'carers'")
    children_data = data.get("children", [])
    carers_data = data.get("carers", [])
    if not isinstance(children_data, list):
        raise InstanceError("'children' must be a list")
    if not isinstance(carers_data, list):
        raise InstanceError("'carers' must be a list")
    params = _params(data.get("params"))
    reader = _Reader()
    with paused_gc():
        children: list[ChildIn] = []
        carers: list[CarerIn] = []
        kind, records, index = "children", children_data, 0
        try:
            for index in range(len(children_data)):
                children.append(reader.child(children_data[index]))
            kind, records = "carers", carers_data
            for index in range(len(carers_data)):
                carers.append(reader.carer(carers_data[index]))
        except _FieldError as bad:
            raise InstanceError(f"{_where(kind, index, records[index])}: {bad}") from None
    instance = Instance(params=params, children=children, carers=carers)
    check_instance(instance)
    return instance


def check_instance(instance: Instance) -> None:
    """The checks that span records: unique ids, locks that can be kept."""
    seen: set[str] = set()
    for child in instance.children:
        if child.id in seen:
            raise InstanceError(f"children: duplicate id {child.id!r}")
        seen.add(child.id)
    carers: dict[str, CarerIn] = {}
    for each in instance.carers:
        if each.id in carers:
            raise InstanceError(f"carers: duplicate id {each.id!r}")
        carers[each.id] = each
    locks: dict[str, int] = {}
    for child in instance.children:
        for role, carer_id in child.locked.items():
            where = f"child {child.id!r}: locked {role}"
            carer = carers.get(carer_id)
            if carer is None:
                raise InstanceError(f"{where}: unknown carer {carer_id!r}")
            if carer.role != role:
                raise InstanceError(f"{where}: carer {carer_id!r} is a {carer.role}, not a {role}")
            if carer_id in child.forbidden.get(role, ()):
                raise InstanceError(f"{where}: carer {carer_id!r} is both locked and forbidden")
            if carer.eligible and (role != "volunteer" or child.consent):
                locks[carer_id] = locks.get(carer_id, 0) + 1
    for carer_id, count in locks.items():
        if count > carers[carer_id].capacity:
            raise InstanceError(
                f"carer {carer_id!r}: {count} locked children but capacity "
                f"{carers[carer_id].capacity}"
            )


# --- writing ------------------------------------------------------------------------------------


def instance_to_dict(instance: Instance) -> dict[str, Any]:
    """The instance in the file format (absent fields stay absent)."""
    p = instance.params
    children: list[dict[str, Any]] = []
    for c in instance.children:
        child: dict[str, Any] = {"id": c.id, "lat": c.lat, "lon": c.lon}
        if c.sex is not None:
            child["sex"] = c.sex
        if c.age is not None:
            child["age"] = c.age
        if c.interests:
            child["interests"] = list(c.interests)
        if c.languages:
            child["languages"] = list(c.languages)
        child["consent"] = c.consent
        if c.current:
            child["current"] = dict(c.current)
        if c.locked:
            child["locked"] = dict(c.locked)
        if c.forbidden:
            child["forbidden"] = {r: list(ids) for r, ids in c.forbidden.items()}
        if c.area is not None:
            child["area"] = c.area
        if c.region is not None:
            child["region"] = c.region
        children.append(child)
    carers: list[dict[str, Any]] = []
    for k in instance.carers:
        carer: dict[str, Any] = {
            "id": k.id,
            "role": k.role,
            "lat": k.lat,
            "lon": k.lon,
            "capacity": k.capacity,
        }
        if k.sex is not None:
            carer["sex"] = k.sex
        if k.skills:
            carer["skills"] = list(k.skills)
        if k.languages:
            carer["languages"] = list(k.languages)
        carer["eligible"] = k.eligible
        if k.service_areas:
            carer["service_areas"] = list(k.service_areas)
        if k.region is not None:
            carer["region"] = k.region
        carers.append(carer)
    return {
        "params": {
            "objective": p.objective,
            "max_distance_km": dict(p.max_distance_km),
            "weights": {name: getattr(p.weights, name) for name in WEIGHT_NAMES},
            "common_languages": list(p.common_languages),
        },
        "children": children,
        "carers": carers,
    }


def result_to_dict(result: Result) -> dict[str, Any]:
    """The result in the file format of the issue: assignments, unpaired, totals, seconds."""
    return {
        "assignments": [
            {
                "child": a.child,
                "role": a.role,
                "carer": a.carer,
                "cost": a.cost,
                "reasons": list(a.reasons),
            }
            for a in result.assignments
        ],
        "unpaired": [
            {"child": u.child, "role": u.role, "reason": u.reason} for u in result.unpaired
        ],
        "total_cost": result.total_cost,
        "paired": result.paired,
        "seconds": round(result.seconds, 3),
    }
