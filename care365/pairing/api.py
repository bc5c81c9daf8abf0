"""Pairing: the county administrator's proposals and pair rules; a child's team and consents.

Proposals and rules belong to county administrators (403 for everyone else; another county's
proposal is 404). A child's team and consents are read through the access layer like the child.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import P, PathEx, Query, Router, Status

from care365.accounts.access import carer_get_for_user, child_get_for_user, keeps_registry
from care365.accounts.api import account
from care365.accounts.models import AccessPurpose, User
from care365.areas.models import Area
from care365.carers.models import Carer
from care365.core.api import responses, route
from care365.core.schemas import MAX_ID, ChildId
from care365.pairing import access, selectors, services
from care365.pairing.models import Outcome, PairingRun, PairRule, ProposedPair
from care365.pairing.schemas import (
    AssignmentIn,
    AssignmentOut,
    ConsentIn,
    ConsentOut,
    ConsentWithdrawIn,
    PairRuleIn,
    PairRuleOut,
    ProposalLinesQuery,
    ProposalOut,
    TeamMemberOut,
)
from care365.registry import services as registry_services
from care365.registry.models import Consent

router = Router(tags=["pairing"])
children_router = Router(tags=["pairing"])

RunId = PathEx[int, P(ge=1, le=MAX_ID, description="The proposal's id.")]
RuleId = PathEx[int, P(ge=1, le=MAX_ID, description="The pair rule's id.")]


def _admin(request: HttpRequest) -> tuple[User, Area]:
    user = account(request)
    county = access.county_for_admin(user)
    if county is None:
        raise PermissionDenied
    return user, county


def _run(user: User, run_id: int) -> PairingRun:
    return access.run_get_for_user(user, run_id)


def _carer(carer: Carer | None) -> dict[str, Any] | None:
    return None if carer is None else {"id": carer.pk, "role": carer.role, "name": carer.name}


def _line(line: ProposedPair) -> dict[str, Any]:
    return {
        "child": line.child_id,
        "role": line.role,
        "outcome": line.outcome,
        "carer": _carer(line.carer),
        "previous": _carer(line.previous),
        "unpaired_reason": line.unpaired_reason,
        "distance_m": line.distance_m,
        "cost": line.cost,
        "reasons": list(line.reasons or []),
    }


def _proposal(user: User, run: PairingRun, query: ProposalLinesQuery) -> dict[str, Any]:
    lines = selectors.run_lines(user, run, outcome=query.outcome, role=query.role)
    if not query.outcome:
        lines = lines.exclude(outcome=Outcome.KEPT)
    count = lines.count()
    return {
        "id": run.pk,
        "state": run.state,
        "created_at": run.created_at,
        "approved_at": run.approved_at,
        "figures": run.figures,
        "recruitment": [
            {
                "township": need.township,
                "role": need.role,
                "no_carer_in_reach": need.no_carer_in_reach,
                "carers_needed": need.carers_needed,
                "capacity_short": need.capacity_short,
            }
            for need in selectors.recruitment_plan(run)
        ],
        "lines": {
            "items": [_line(x) for x in lines[query.offset : query.offset + query.limit]],
            "count": count,
        },
    }


@router.post(
    "/proposals",
    response=responses(201, ProposalOut),
    operation_id="pairing_propose",
    summary="Propose a pairing for the county",
)
def pairing_propose(
    request: HttpRequest, query: Query[ProposalLinesQuery]
) -> Status[dict[str, Any]]:
    """Pair every active child of your county with one officer, one doctor and one volunteer:
    as many children as possible, then at the least cost. The proposal replaces the county's
    previous unapproved one and is returned as a difference from today's pairings."""
    user, county = _admin(request)
    run = services.pairing_propose(actor=user, county=county)
    return Status(201, _proposal(user, run, query))


@router.get(
    "/proposals/{run_id}",
    response=responses(200, ProposalOut),
    operation_id="pairing_proposal_get",
    summary="Get a proposal",
)
def pairing_proposal_get(
    request: HttpRequest, run_id: RunId, query: Query[ProposalLinesQuery]
) -> dict[str, Any]:
    """A proposal's figures, recruitment plan and lines (changes only unless `outcome` says)."""
    user, _county = _admin(request)
    return _proposal(user, _run(user, run_id), query)


@router.post(
    "/proposals/{run_id}/approve",
    response=responses(200, ProposalOut),
    operation_id="pairing_approve",
    summary="Approve a proposal",
)
def pairing_approve(
    request: HttpRequest, run_id: RunId, query: Query[ProposalLinesQuery]
) -> dict[str, Any]:
    """Apply the proposal in one transaction: replaced pairings end with a reason, new ones start
    today, every carer whose children changed is told. A proposal already approved or replaced,
    or made before today's pairings changed, is refused (422) and nothing changes."""
    user, _county = _admin(request)
    run = services.pairing_approve(actor=user, run=_run(user, run_id))
    return _proposal(user, run, query)


@router.post(
    "/rules",
    response=responses(201, PairRuleOut),
    operation_id="pair_rule_set",
    summary="Lock or forbid a pair",
)
def pair_rule_set(request: HttpRequest, payload: PairRuleIn) -> Status[dict[str, Any]]:
    """A locked pair is kept by every proposal (and counts against the carer's capacity); a
    forbidden pair is never made. A new rule for the same pair replaces the old one."""
    user, _county = _admin(request)
    child = child_get_for_user(
        user, payload.child, AccessPurpose.EDIT, route=route("pair_rule_set")
    )
    carer = carer_get_for_user(user, payload.carer)
    rule = services.pair_rule_set(actor=user, child=child, carer=carer, kind=payload.kind)
    return Status(201, _rule(rule))


@router.post(
    "/assignments",
    response=responses(201, AssignmentOut),
    operation_id="pairing_assign",
    summary="Assign a carer to a child by hand",
)
def pairing_assign(request: HttpRequest, payload: AssignmentIn) -> Status[dict[str, Any]]:
    """The pair starts today (replacing the child's carer of that role) and is locked, so later
    proposals keep it; the open proposal is kept in step. 422 naming `carer` when the carer is
    full (raise their capacity with PATCH /carers/{id}), not vetted, forbidden for the child,
    or (a volunteer) without the guardian's consent."""
    user, _county = _admin(request)
    child = child_get_for_user(
        user, payload.child, AccessPurpose.EDIT, route=route("pairing_assign")
    )
    carer = carer_get_for_user(user, payload.carer)
    pairing = services.pairing_assign(actor=user, child=child, carer=carer)
    return Status(
        201,
        {
            "child": child.pk,
            "role": pairing.role,
            "carer": carer.pk,
            "since": pairing.since,
            "locked": True,
        },
    )


def _rule(rule: PairRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "child": rule.child_id,
        "role": rule.role,
        "carer": _carer(rule.carer),
        "kind": rule.kind,
    }


@router.delete(
    "/rules/{rule_id}",
    response=responses(204, None),
    operation_id="pair_rule_remove",
    summary="Remove a lock or forbid",
)
def pair_rule_remove(request: HttpRequest, rule_id: RuleId) -> Status[None]:
    user, county = _admin(request)
    rule = selectors.rule_get_for_admin(county, rule_id)
    if rule is None:
        raise Http404
    child_get_for_user(user, rule.child_id, AccessPurpose.EDIT, route=route("pair_rule_remove"))
    services.pair_rule_remove(actor=user, rule=rule)
    return Status(204, None)


@children_router.get(
    "/{child_id}/team",
    response=responses(200, list[TeamMemberOut]),
    operation_id="child_team",
    summary="A child's carers",
)
def child_team(request: HttpRequest, child_id: ChildId) -> list[dict[str, Any]]:
    """The child's police officer, doctor and volunteer today, and why each was chosen."""
    user = account(request)
    child = child_get_for_user(user, child_id, AccessPurpose.VIEW, route=route("child_team"))
    return [
        {
            "role": p.role,
            "carer": _carer(p.carer),
            "organisation": p.carer.organisation.name,
            "phone": p.carer.phone,
            "since": p.since,
            "reasons": list(p.reasons or []),
        }
        for p in selectors.child_team(child)
    ]


def _consent(consent: Consent) -> dict[str, Any]:
    return {
        "purpose": consent.purpose,
        "given_on": consent.given_on,
        "reference": consent.reference,
        "withdrawn_on": consent.withdrawn_on,
    }


def _registry_child(request: HttpRequest, child_id: int, purpose: AccessPurpose, op: str) -> Any:
    user = account(request)
    child = child_get_for_user(
        user, child_id, purpose, route=route(op), allowed=lambda u, _c: keeps_registry(u)
    )
    return user, child


@children_router.get(
    "/{child_id}/consents",
    response=responses(200, list[ConsentOut]),
    operation_id="consent_list",
    summary="A child's guardian consents",
)
def consent_list(request: HttpRequest, child_id: ChildId) -> list[dict[str, Any]]:
    """Registry staff only: every consent, open ones first."""
    _user, child = _registry_child(request, child_id, AccessPurpose.VIEW, "consent_list")
    return [_consent(c) for c in selectors.child_consents(child)]


@children_router.post(
    "/{child_id}/consents",
    response=responses(201, ConsentOut),
    operation_id="consent_record",
    summary="Record a guardian's consent",
)
def consent_record(
    request: HttpRequest, child_id: ChildId, payload: ConsentIn
) -> Status[dict[str, Any]]:
    """The guardian's written consent to one purpose, with the reference of the signed paper.
    A consent already open for the purpose is refused (422)."""
    user, child = _registry_child(request, child_id, AccessPurpose.EDIT, "consent_record")
    consent = registry_services.consent_record(
        actor=user,
        child=child,
        purpose=payload.purpose,
        given_on=payload.given_on,
        reference=payload.reference,
    )
    return Status(201, _consent(consent))


@children_router.post(
    "/{child_id}/consents/withdraw",
    response=responses(200, list[ConsentOut]),
    operation_id="consent_withdraw",
    summary="Withdraw a guardian's consent",
)
def consent_withdraw(
    request: HttpRequest, child_id: ChildId, payload: ConsentWithdrawIn
) -> list[dict[str, Any]]:
    """What depended on the consent stops at once: withdrawing the consent to a volunteer ends
    the child's volunteer pairing. Answers the child's consents after the change."""
    user, child = _registry_child(request, child_id, AccessPurpose.EDIT, "consent_withdraw")
    services.consent_withdraw(actor=user, child=child, purpose=payload.purpose, on=payload.on)
    return [_consent(c) for c in selectors.child_consents(child)]
