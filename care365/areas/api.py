"""The area tree of the caller's scope: county, townships, villages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from care365.accounts.access import areas_for_user
from care365.accounts.api import account
from care365.areas.schemas import AreaListOut
from care365.core.api import responses

router = Router(tags=["areas"])


@router.get(
    "",
    response=responses(200, AreaListOut),
    operation_id="area_list",
    summary="List the areas of your scope",
)
def area_list(request: HttpRequest) -> dict[str, Any]:
    """Every area you may filter by and register into, in code order (a parent before its
    children), each with its parent's id. Users without an area (carers) get an empty list."""
    areas = areas_for_user(account(request)).order_by("code")
    items = [
        {
            "id": area.pk,
            "code": area.code,
            "name": area.name,
            "level": area.level,
            "parent": area.parent_id,
            "latitude": area.latitude,
            "longitude": area.longitude,
        }
        for area in areas
    ]
    return {"items": items, "count": len(items)}
