"""Children: list, get, register, update, exit, and the county administrator's ID reveal.

Every child is reached through the access layer (`child_list`, `child_get_for_user`, which logs
each single-child read with the operation as its route) and rendered through `visibility`; every
write is one registry service.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from care365.accounts.access import can_register_in, child_get_for_user, keeps_registry
from care365.accounts.api import account
from care365.accounts.lookups import child_confirm_id
from care365.accounts.models import AccessPurpose, User
from care365.accounts.selectors import ChildFilters, capped_count, child_list, rows_slice
from care365.accounts.services import id_number_probes_recorded
from care365.accounts.visibility import child_row, child_view
from care365.areas.models import Area
from care365.areas.selectors import area_get
from care365.core.api import responses, route
from care365.core.schemas import ChildId
from care365.registry import services
from care365.registry.models import Child, ParentRole
from care365.registry.schemas import (
    ChildFilterQuery,
    ChildIn,
    ChildListOut,
    ChildOut,
    ChildPatch,
    ChildSearchIn,
    ConfirmIdIn,
    ConfirmIdOut,
    ExitIn,
    RevealIn,
)

router = Router(tags=["children"])

PARENT_ROLES = (ParentRole.FATHER.value, ParentRole.MOTHER.value)


def _render(child: Child, user: User, *, reveal_id: bool = False) -> dict[str, Any]:
    return {"id": child.pk, **child_view(child, user, reveal_id=reveal_id).data}


def _village(user: User, village_id: int | None) -> Area:
    """The village a child is registered in or moved to, if the user may register there."""
    village = area_get(village_id, level=Area.Level.VILLAGE) if village_id is not None else None
    if village is None:
        raise ValidationError({"village": _("Choose a village.")})
    if not can_register_in(user, village):
        raise ValidationError({"village": _("You cannot register children in this village.")})
    return village


def _list(user: User, filters: ChildFilterQuery, q: str = "", *, op: str) -> dict[str, Any]:
    children = child_list(
        user,
        ChildFilters(
            area=filters.area,
            status=filters.status,
            age_min=filters.age_min,
            age_max=filters.age_max,
            sex=filters.sex,
            q=q,
            include_exited=filters.include_exited,
        ),
        route=route(op),
    )
    count, exact = capped_count(children)
    page = rows_slice(children, filters.offset, filters.offset + filters.limit)
    return {
        "items": [child_row(child, user) for child in page],
        "count": count,
        "count_is_exact": exact,
    }


@router.get(
    "",
    response=responses(200, ChildListOut),
    exclude_unset=True,
    operation_id="child_list",
    summary="List children",
)
def child_list_op(request: HttpRequest, filters: Query[ChildFilterQuery]) -> dict[str, Any]:
    """The children in your scope, filtered, in village then name order (village then id for
    roles not shown names); `count` is the total (exactly up to 10,000; beyond, 10,000 with
    `count_is_exact` false). A filter on a field your role does not see (a volunteer's `sex` or
    `status`, an officer's or doctor's `status`) is refused with 422, naming the parameter.
    To search by name or ID number use `POST /children/search`, which keeps them out of URLs."""
    return _list(account(request), filters, op="child_list")


@router.post(
    "/search",
    response=responses(200, ChildListOut),
    exclude_unset=True,
    operation_id="child_search",
    summary="Search children by name or ID number",
)
def child_search(request: HttpRequest, payload: ChildSearchIn) -> dict[str, Any]:
    """Like the list, with `q`: part of a name, or a full ID number. Changes nothing.

    A volunteer's name search matches the given name only. A search by full ID number is for
    the roles that see ID numbers (others: 422), counts against the hourly limit of look-ups by
    ID number (past it: 422) and is written to the look-up log as a keyed hash, and to the
    access log of each child found."""
    return _list(account(request), payload, payload.q, op="child_search")


@router.get(
    "/{child_id}",
    response=responses(200, ChildOut),
    exclude_unset=True,
    operation_id="child_get",
    summary="Get a child",
)
def child_get(request: HttpRequest, child_id: ChildId) -> dict[str, Any]:
    """One child, with the fields your role may see. The read is written to the access log."""
    user = account(request)
    child = child_get_for_user(user, child_id, AccessPurpose.VIEW, route=route("child_get"))
    return _render(child, user)


@router.post(
    "",
    response=responses(201, ChildOut),
    exclude_unset=True,
    operation_id="child_register",
    summary="Register a child",
)
def child_register(request: HttpRequest, payload: ChildIn) -> Status[dict[str, Any]]:
    """Register a child in a village of your scope, with statuses, parents and entrusted carer.

    The ID number must pass its check digit and agree with the birth date and sex; a number
    already registered is refused with one message that says nothing of where (the attempt is
    written to that child's access log and, for a child of another village, opens a transfer
    request for the child's county). Names are stored normalised (NFKC, no zero-width
    characters, single spaces, trimmed); a name with nothing visible is refused. A record with
    the same name, birth date and village is accepted and flagged for the children's director."""
    user = account(request)
    if not keeps_registry(user):
        raise PermissionDenied
    fields = payload.model_dump(exclude={"village", "statuses", *PARENT_ROLES, "guardian"})
    # Parts leave out what was not given (None), so the services keep their own defaults.
    parents = {
        role: part.model_dump(exclude_none=True)
        for role in PARENT_ROLES
        if (part := getattr(payload, role)) is not None
    }
    registration = services.ChildInput(
        child={**fields, "village": _village(user, payload.village)},
        statuses=list(payload.statuses),
        parents=parents,
        guardian=(
            payload.guardian.model_dump(exclude_none=True) if payload.guardian is not None else None
        ),
    )
    village = registration.child["village"]
    with id_number_probes_recorded(user, village=village, route=route("child_register")):
        child = services.child_register(actor=user, data=registration)
    shown = child_get_for_user(user, child.pk, AccessPurpose.VIEW, route=route("child_register"))
    return Status(201, _render(shown, user))


@router.patch(
    "/{child_id}",
    response=responses(200, ChildOut),
    exclude_unset=True,
    operation_id="child_update",
    summary="Update a child",
)
def child_update(request: HttpRequest, child_id: ChildId, payload: ChildPatch) -> dict[str, Any]:
    """Change the fields sent (and the parents' or entrusted carer's fields sent). Moving a
    child to another village needs the right to register there."""
    user = account(request)
    child = child_get_for_user(user, child_id, AccessPurpose.EDIT, route=route("child_update"))
    values = payload.model_dump(exclude_unset=True, exclude={*PARENT_ROLES, "guardian"})
    if "village" in values:
        values["village"] = _village(user, values["village"])
    parents = {
        role: part.model_dump(exclude_unset=True)
        for role in PARENT_ROLES
        if (part := getattr(payload, role)) is not None
    }
    guardian = payload.guardian.model_dump(exclude_unset=True) if payload.guardian else None
    village = values.get("village", child.village)
    with id_number_probes_recorded(user, village=village, route=route("child_update")):
        updated = services.child_update(
            actor=user, child=child, values=values, parents=parents, guardian=guardian
        )
    return _render(updated, user)


@router.post(
    "/{child_id}/exit",
    response=responses(200, ChildOut),
    exclude_unset=True,
    operation_id="child_exit",
    summary="Take a child out of the registry",
)
def child_exit(request: HttpRequest, child_id: ChildId, payload: ExitIn) -> dict[str, Any]:
    """The child leaves the registry for a reason; open statuses end; the record stays."""
    user = account(request)
    child = child_get_for_user(user, child_id, AccessPurpose.EXIT, route=route("child_exit"))
    exited = services.child_exit(actor=user, child=child, reason=payload.reason, on=payload.on)
    return _render(exited, user)


@router.post(
    "/{child_id}/reveal-id",
    response=responses(200, ChildOut),
    exclude_unset=True,
    operation_id="child_reveal_id",
    summary="Show a child's full ID number (county administrators)",
)
def child_reveal_id(request: HttpRequest, child_id: ChildId, payload: RevealIn) -> dict[str, Any]:
    """The child with the full ID number. Only county administrators, and only with a reason,
    which is written to the access log (it travels in the body, never in a URL)."""
    user = account(request)
    child = child_get_for_user(
        user,
        child_id,
        AccessPurpose.REVEAL_ID,
        route=route("child_reveal_id"),
        reason=payload.reason.strip(),
    )
    return _render(child, user, reveal_id=True)


@router.post(
    "/{child_id}/confirm-id",
    response=responses(200, ConfirmIdOut),
    operation_id="child_confirm_id",
    summary="Check a typed ID number against a child's record",
)
def child_confirm_id_op(
    request: HttpRequest, child_id: ChildId, payload: ConfirmIdIn
) -> dict[str, Any]:
    """Whether the number typed is the child's: `match` true or false, never the number. For
    the roles that see a child's masked ID number (others: 403), with a reason; written to the
    child's access log with the reason and to the look-up log as a keyed hash; at most
    `CARE365_ID_LOOKUPS_PER_HOUR` look-ups by ID number within an hour (past it: 422)."""
    user = account(request)
    match = child_confirm_id(
        user,
        child_id,
        payload.id_number,
        reason=payload.reason,
        route=route("child_confirm_id"),
    )
    return {"match": match}
