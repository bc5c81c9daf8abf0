"""Who read a child's record: the access log, for county administrators."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Query, Router, Status

from care365.accounts.access import child_get_for_user
from care365.accounts.models import AccessPurpose, Role
from care365.accounts.selectors import access_log_for_child
from care365.accounts.services import access_grant_open

from .auth import account
from .children import route
from .errors import responses
from .schemas import AccessGrantIn, AccessGrantOut, AccessLogListOut, AccessLogQuery

router = Router(tags=["access log"])


@router.get(
    "",
    response=responses(200, AccessLogListOut),
    operation_id="access_log_list",
    summary="Who read a child's record",
)
def access_log_list(request: HttpRequest, filters: Query[AccessLogQuery]) -> dict[str, Any]:
    """Reads of one child's record, newest first. County administrators only (403 for others);
    a child outside your county answers 404. Looking is itself a logged read."""
    user = account(request)
    if user.role != Role.COUNTY_ADMIN:
        raise PermissionDenied
    child = child_get_for_user(
        user, filters.child, AccessPurpose.VIEW, route=route("access_log_list")
    )
    entries = access_log_for_child(user, child)
    count = entries.count()
    return {"items": list(entries[filters.offset : filters.offset + filters.limit]), "count": count}


@router.post(
    "/emergency-access",
    response=responses(201, AccessGrantOut),
    operation_id="access_grant_create",
    summary="Open a child outside your scope in an emergency",
)
def access_grant_create(request: HttpRequest, payload: AccessGrantIn) -> Status[dict[str, Any]]:
    """Break-the-glass: a child of your county, found by the full ID number (sent in the body,
    never in a URL), opens to you for CARE365_BREAK_GLASS_MINUTES. The reason is written to the
    access log and every county administrator is told. Responders only (police officers,
    doctors, directors, supervisors, county administrators): anyone else is refused (403). An ID
    number of no child of your county answers 422. A refused or failed attempt is written to
    the child's access log all the same (outcome `refused`); the answer does not say whether
    the number is a child's."""
    user = account(request)
    grant = access_grant_open(user=user, id_number=payload.id_number, reason=payload.reason)
    return Status(201, {"child": grant.child_id, "expires_at": grant.expires_at})
