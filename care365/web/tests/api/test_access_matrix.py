"""Every API operation for every persona, about something in their scope and something outside it.

The operations come from the OpenAPI schema: an operation without an entry in `MATRIX` fails
`test_every_operation_has_a_matrix_entry`. Expected answers follow DESIGN.md's "Who sees what":
registry staff see their area's children, carers see none until pairing exists, an outsider sees
nothing, and out of scope looks exactly like missing (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from care365.accounts.models import User
from care365.accounts.tests.factories import UserFactory
from care365.areas.models import Area
from care365.carers.models import Carer, CarerRole
from care365.carers.tests.factories import CarerFactory
from care365.pairing import services as pairing_services
from care365.pairing.models import PairingRun, PairRule
from care365.registry.models import Child, Consent, ConsentPurpose
from care365.registry.tests.factories import valid_id_number
from conftest import Personas

from .conftest import Api, operations

pytestmark = pytest.mark.django_db

PERSONAS = (
    "admin",
    "supervisor_a",
    "director_a",
    "director_b",
    "other_admin",
    "officer",
    "doctor",
    "volunteer",
    "outsider",
)

# The child each persona's "own" column is about (in scope for registry staff; for carers and the
# outsider the child of the village they serve, still unseen before pairing) and the "other".
OWN_CHILD = {
    "admin": "child_a",
    "supervisor_a": "child_a",
    "director_a": "child_a",
    "director_b": "child_b",
    "other_admin": "child_other",
    "officer": "child_a",
    "doctor": "child_a",
    "volunteer": "child_a",
    "outsider": "child_a",
}
OTHER_CHILD = {
    "admin": "child_other",
    "supervisor_a": "child_b",
    "director_a": "child_b",
    "director_b": "child_a",
    "other_admin": "child_a",
    "officer": "child_b",
    "doctor": "child_b",
    "volunteer": "child_b",
    "outsider": "child_other",
}


# (own, other) status for each persona; registry staff register into their own child's village
# (201) and the other child's village (422: not a village they may register in).
# fmt: off
#                 get/update/exit  reveal-id   register    access log  carer get
STATUSES: dict[str, tuple[tuple[int, int], ...]] = {
    "admin":        ((200, 404), (200, 404), (201, 422), (200, 404), (200, 404)),
    "supervisor_a": ((200, 404), (403, 404), (201, 422), (403, 403), (200, 404)),
    "director_a":   ((200, 404), (403, 404), (201, 422), (403, 403), (200, 404)),
    "director_b":   ((200, 404), (403, 404), (201, 422), (403, 403), (200, 404)),
    "other_admin":  ((200, 404), (200, 404), (201, 422), (200, 404), (200, 404)),
    "officer":      ((404, 404), (404, 404), (403, 403), (403, 403), (200, 404)),
    "doctor":       ((404, 404), (404, 404), (403, 403), (403, 403), (200, 404)),
    "volunteer":    ((404, 404), (404, 404), (403, 403), (403, 403), (200, 404)),
    "outsider":     ((404, 404), (404, 404), (403, 403), (403, 403), (404, 404)),
}
# Whether the own / other target appears in a list (lists always answer 200).
#                 children (and areas)  carers
LISTED: dict[str, tuple[tuple[bool, bool], ...]] = {
    "admin":        ((True, False),  (True, False)),
    "supervisor_a": ((True, False),  (True, False)),
    "director_a":   ((True, False),  (True, False)),
    "director_b":   ((True, False),  (True, False)),
    "other_admin":  ((True, False),  (True, False)),
    "officer":      ((False, False), (True, False)),
    "doctor":       ((False, False), (True, False)),
    "volunteer":    ((False, False), (True, False)),
    "outsider":     ((False, False), (False, False)),
}
# fmt: on


def _column(table: dict[str, tuple[Any, ...]], index: int) -> dict[str, Any]:
    return {persona: row[index] for persona, row in table.items()}


SEE, REVEAL, REGISTER, LOG, CARER = (_column(STATUSES, i) for i in range(5))
OK = dict.fromkeys(PERSONAS, (200, 200))
ADMINS = ("admin", "other_admin")
REGISTRY = ("admin", "supervisor_a", "director_a", "director_b", "other_admin")


def _admins(ok: tuple[int, int]) -> dict[str, tuple[int, int]]:
    """Pairing belongs to county administrators: everyone else is refused outright."""
    return {p: ok if p in ADMINS else (403, 403) for p in PERSONAS}


# Break-the-glass: any child of one's own county opens (201); another county's is not found.
GRANT = dict.fromkeys(PERSONAS, (201, 201)) | {
    "admin": (201, 422),
    "other_admin": (201, 422),
    "outsider": (403, 403),
}
# Recording a consent: registry staff in scope; nobody else can reach the child.
CONSENT_RECORD = {p: (201, 404) if p in REGISTRY else (404, 404) for p in PERSONAS}
CHILDREN_LISTED, CARERS_LISTED = _column(LISTED, 0), _column(LISTED, 1)
AREAS_LISTED = CHILDREN_LISTED  # the own child's village is in scope exactly when the child is

MATRIX: dict[str, dict[str, tuple[int, int]]] = {
    "child_list": OK,
    "child_search": OK,
    "child_get": SEE,
    "child_update": SEE,
    "child_exit": SEE,
    "child_reveal_id": REVEAL,
    "child_register": REGISTER,
    "carer_list": OK,
    "carer_get": CARER,
    "area_list": OK,
    "access_log_list": LOG,
    "child_team": SEE,
    "consent_list": SEE,
    "consent_record": CONSENT_RECORD,
    "consent_withdraw": SEE,
    "pairing_propose": _admins((201, 201)),
    "pairing_proposal_get": _admins((200, 404)),
    "pairing_approve": _admins((200, 404)),
    "pair_rule_set": _admins((201, 404)),
    "pair_rule_remove": _admins((204, 404)),
    "access_grant_create": GRANT,
}
LISTS = {
    "child_list": CHILDREN_LISTED,
    "child_search": CHILDREN_LISTED,
    "carer_list": CARERS_LISTED,
    "area_list": AREAS_LISTED,
}
PUBLIC = {"auth_token_create"}  # the one operation without a token; tested in test_auth.py


@dataclass
class Targets:
    child: Child
    carer: Carer
    village: Area
    run: PairingRun | None = None
    rule: PairRule | None = None


def _pairing_targets(op: str, target: Targets) -> None:
    """A proposal of the child's county, a rule on the child, or a consent to withdraw."""
    if op in ("pairing_proposal_get", "pairing_approve"):
        county = target.child.village.parent.parent  # type: ignore[union-attr]
        target.run = pairing_services.pairing_propose(actor=None, county=county)  # type: ignore[arg-type]
    elif op == "pair_rule_remove":
        near = CarerFactory.create(organisation__area=target.child.village.parent)
        target.rule = PairRule.objects.create(
            child=target.child,
            role=near.role,
            carer=near,
            kind="forbid",
            created_by=UserFactory.create(role=""),
        )
    elif op == "consent_withdraw":
        Consent.objects.create(
            child=target.child, purpose=ConsentPurpose.HEALTH_SCREENING, given_on=date(2025, 1, 1)
        )


def _carers(p: Personas) -> tuple[dict[str, Carer], dict[str, Carer]]:
    """Each persona's own and other carer: registry staff see their county's carers, a carer
    sees only their own record."""
    far = CarerFactory.create(role=CarerRole.DOCTOR, organisation__area=p.other_village.parent)
    mine = {"police": p.officer.carer, "doctor": p.doctor.carer, "volunteer": p.volunteer.carer}
    own: dict[str, Carer] = {}
    other: dict[str, Carer] = {}
    for name in PERSONAS:
        user: User = getattr(p, name)
        if user.carer is not None:
            own[name] = user.carer
            other[name] = mine["doctor" if user.role != CarerRole.DOCTOR else "police"]  # type: ignore[assignment]
        elif name == "other_admin":
            own[name], other[name] = far, mine["police"]  # type: ignore[assignment]
        else:
            own[name], other[name] = mine["police"], far  # type: ignore[assignment]
    return own, other


def _register_body(village: Area) -> dict[str, Any]:
    born = date(2016, 5, 20)
    return {
        "name": "陈小雨",
        "sex": "F",
        "birth_date": born.isoformat(),
        "id_number": valid_id_number(born, "F", 777),
        "village": village.pk,
        "statuses": ["left_behind"],
    }


def _request(
    op: str, path: str, target: Targets
) -> tuple[str, dict[str, Any] | None, dict[str, Any] | None]:
    """(path, body, query) for one operation about one target."""
    path = path.replace("{child_id}", str(target.child.pk))
    path = path.replace("{carer_id}", str(target.carer.pk))
    path = path.replace("{run_id}", str(target.run.pk if target.run else 1))
    path = path.replace("{rule_id}", str(target.rule.pk if target.rule else 1))
    body: dict[str, Any] | None = {
        "child_update": {"school": "城关小学"},
        "child_exit": {"reason": "moved_away"},
        "child_reveal_id": {"reason": "核对户籍"},
        "child_register": _register_body(target.village),
        "child_search": {"q": target.child.name, "include_exited": True, "limit": 100},
        "consent_record": {"purpose": "health_screening", "reference": "JN-1"},
        "consent_withdraw": {"purpose": "health_screening"},
        "access_grant_create": {"id_number": target.child.id_number, "reason": "代同事值班处理"},
        "pair_rule_set": {
            "child": target.child.pk,
            "carer": CarerFactory.create(organisation__area=target.child.village.parent).pk,
            "kind": "lock",
        },
    }.get(op)
    queries: dict[str, dict[str, Any]] = {
        "child_list": {"limit": 100, "include_exited": "true"},
        "carer_list": {"limit": 100},
        "access_log_list": {"child": target.child.pk},
    }
    query = queries.get(op)
    return path, body, query


def test_every_operation_has_a_matrix_entry(openapi: dict[str, Any]) -> None:
    assert set(operations(openapi)) - PUBLIC == set(MATRIX)


CASES = [(op, persona, column) for op in MATRIX for persona in PERSONAS for column in (0, 1)]


@pytest.mark.parametrize(
    ("op", "persona", "column"),
    CASES,
    ids=[f"{op}-{persona}-{'own' if col == 0 else 'other'}" for op, persona, col in CASES],
)
def test_operation_answers_each_persona(
    api: Api,
    personas: Personas,
    openapi: dict[str, Any],
    op: str,
    persona: str,
    column: int,
) -> None:
    method, path = operations(openapi)[op]
    user: User = getattr(personas, persona)
    child: Child = getattr(personas, (OWN_CHILD if column == 0 else OTHER_CHILD)[persona])
    own_carers, other_carers = _carers(personas)
    carer = (own_carers if column == 0 else other_carers)[persona]
    target = Targets(child=child, carer=carer, village=child.village)
    _pairing_targets(op, target)
    url, body, query = _request(op, path, target)

    response = api.call(method, url, user=user, body=body, query=query)

    expected = MATRIX[op][persona][column]
    assert response.status_code == expected, response.content
    if expected == 204:
        assert response.content == b""
        return
    data = response.json()
    if expected >= 400:
        assert set(data) == {"detail", "errors"}
        return
    if op in LISTS:
        ids = {item["id"] for item in data["items"]}
        wanted = {
            "child_list": child.pk,
            "child_search": child.pk,
            "carer_list": carer.pk,
            "area_list": child.village_id,
        }
        assert (wanted[op] in ids) == LISTS[op][persona][column]
        assert data["count"] == len(data["items"])
    elif op in {"child_get", "child_update", "child_exit", "child_reveal_id"}:
        assert data["id"] == child.pk
    elif op == "carer_get":
        assert data["id"] == carer.pk
    elif op == "access_log_list":
        assert data["count"] >= 1
        assert all(item["user"]["username"] for item in data["items"])


def test_carers_see_no_children_before_pairing(api: Api, personas: Personas) -> None:
    for user in (personas.officer, personas.doctor, personas.volunteer):
        response = api.get("/children", user=user, query={"include_exited": "true"})
        assert response.json() == {"items": [], "count": 0, "count_is_exact": True}
