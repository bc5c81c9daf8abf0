"""The API of an organisation's staff (docs/network.md, "Organisation staff"): the referrals to
their organisation, with what a referral carries and nothing more, and their answers to them.

Only members of an organisation's staff are served (others: 403, before any record is looked
up); another organisation's referral answers 404, like a missing one. The list names no child;
reading one referral shows its child (given name, age, sex, village) and writes an access-log
row. Rows come only from `network.selectors.staff_referral_row` / `staff_referral_view`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router

from care365.accounts.api import account
from care365.accounts.models import User
from care365.core.api import CONFLICT, responses, route
from care365.core.schemas import Page
from care365.network import access, selectors, services
from care365.network.models import Referral
from care365.network.schemas import (
    ReferralDeclineIn,
    ReferralDoneIn,
    ReferralId,
    StaffReferralListOut,
    StaffReferralOut,
)

router = Router(tags=["organisation staff"])


def _staff(request: HttpRequest) -> User:
    user = account(request)
    if not access.works_for_organisation(user):
        raise PermissionDenied
    return user


def _out(referral: Referral) -> dict[str, Any]:
    view = selectors.staff_referral_view(referral, timezone.localdate())
    return {
        "id": view.id,
        "organisation": view.organisation,
        "service": view.service,
        "reason": view.reason,
        "state": view.state,
        "overdue": view.overdue,
        "referred_at": view.referred_at,
        "due_on": view.due_on,
        "answered_at": view.answered_at,
        "decline_reason": view.decline_reason,
        "done_at": view.done_at,
        "what_done": view.what_done,
        "outcome": view.outcome,
        "child": {
            "given_name": view.child_given_name,
            "age": view.child_age,
            "sex": view.child_sex,
            "village": view.village,
            "township": view.township,
        },
        "referrer": {
            "name": view.referrer_name,
            "role": view.referrer_role,
            "phone": view.referrer_phone,
        },
    }


def _referral(request: HttpRequest, referral_id: int, op: str) -> tuple[User, Referral]:
    user = _staff(request)
    return user, access.referral_get_for_user(user, referral_id, route=route(op))


@router.get(
    "/organisation/referrals",
    response=responses(200, StaffReferralListOut),
    operation_id="staff_referral_list",
    summary="Your organisation's referrals",
)
def staff_referral_list(request: HttpRequest, page: Query[Page]) -> dict[str, Any]:
    """Open ones first (the most overdue first), then the answered ones, newest first. No
    child is named here: read a referral for that. Anyone but an organisation's staff: 403."""
    user = _staff(request)
    today = timezone.localdate()
    rows = selectors.staff_referrals(user)
    items = [
        asdict(selectors.staff_referral_row(r, today))
        for r in rows[page.offset : page.offset + page.limit]
    ]
    return {"items": items, "count": rows.count()}


@router.get(
    "/organisation/referrals/{referral_id}",
    response=responses(200, StaffReferralOut),
    operation_id="staff_referral_get",
    summary="One referral to your organisation",
)
def staff_referral_get(request: HttpRequest, referral_id: ReferralId) -> dict[str, Any]:
    """What the referral carries: the child's given name, age, sex and village, the service,
    the reason, the referrer and their phone, the dates and the answer. Another organisation's
    referral: 404."""
    _user, referral = _referral(request, referral_id, "staff_referral_get")
    return _out(referral)


@router.post(
    "/organisation/referrals/{referral_id}/accept",
    response=responses(200, StaffReferralOut, CONFLICT),
    operation_id="staff_referral_accept",
    summary="Accept a referral",
)
def staff_referral_accept(request: HttpRequest, referral_id: ReferralId) -> dict[str, Any]:
    """From sent; 409 otherwise. The referrer is told."""
    user, referral = _referral(request, referral_id, "staff_referral_accept")
    return _out(services.referral_accept(actor=user, referral=referral))


@router.post(
    "/organisation/referrals/{referral_id}/decline",
    response=responses(200, StaffReferralOut, CONFLICT),
    operation_id="staff_referral_decline",
    summary="Decline a referral, with the reason",
)
def staff_referral_decline(
    request: HttpRequest, referral_id: ReferralId, payload: ReferralDeclineIn
) -> dict[str, Any]:
    """From sent; a reason is required (422 naming `reason`); 409 otherwise."""
    user, referral = _referral(request, referral_id, "staff_referral_decline")
    return _out(services.referral_decline(actor=user, referral=referral, reason=payload.reason))


@router.post(
    "/organisation/referrals/{referral_id}/done",
    response=responses(200, StaffReferralOut, CONFLICT),
    operation_id="staff_referral_done",
    summary="Record what was done and the outcome",
)
def staff_referral_done(
    request: HttpRequest, referral_id: ReferralId, payload: ReferralDoneIn
) -> dict[str, Any]:
    """Closes the referral (from sent or accepted); 409 once declined or done."""
    user, referral = _referral(request, referral_id, "staff_referral_done")
    referral = services.referral_done(
        actor=user, referral=referral, what_done=payload.what_done, outcome=payload.outcome
    )
    return _out(referral)
