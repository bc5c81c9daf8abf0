"""Carers: police officers, doctors and volunteers, as far as the caller may see them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import P, PathEx, Query, Router

from care365.accounts.access import carer_get_for_user
from care365.accounts.api import account
from care365.accounts.selectors import carer_list
from care365.carers.models import Carer
from care365.carers.schemas import CarerFilterQuery, CarerListOut, CarerOut
from care365.core.api import responses
from care365.core.schemas import MAX_ID

router = Router(tags=["carers"])

CarerId = PathEx[int, P(ge=1, le=MAX_ID, description="The carer's id in Care365.")]


@router.get(
    "",
    response=responses(200, CarerListOut),
    operation_id="carer_list",
    summary="List carers",
)
def carer_list_op(request: HttpRequest, filters: Query[CarerFilterQuery]) -> dict[str, Any]:
    """Registry staff see their county's carers; a carer sees their own record."""
    user = account(request)
    carers = carer_list(user, role=filters.role, area=filters.area, q=filters.q)
    count = carers.count()
    return {"items": list(carers[filters.offset : filters.offset + filters.limit]), "count": count}


@router.get(
    "/{carer_id}",
    response=responses(200, CarerOut),
    operation_id="carer_get",
    summary="Get a carer",
)
def carer_get(request: HttpRequest, carer_id: CarerId) -> Carer:
    user = account(request)
    carer = carer_get_for_user(user, carer_id)
    return carer
