"""Who read a child's record: the access log, for county administrators."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Query, Router

from care365.accounts.access import child_get_for_user
from care365.accounts.models import AccessPurpose, Role
from care365.accounts.selectors import access_log_for_child

from .auth import account
from .children import route
from .errors import responses
from .schemas import AccessLogListOut, AccessLogQuery

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
