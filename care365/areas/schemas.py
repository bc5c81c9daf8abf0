"""The API's shapes for areas."""

from __future__ import annotations

from ninja import Schema
from pydantic import (
    Field,
)

# ---- areas -----------------------------------------------------------------------------------


class AreaOut(Schema):
    id: int
    code: str
    name: str
    level: str
    parent: int | None = Field(description="Id of the area above; null for the county.")
    latitude: float
    longitude: float


class AreaListOut(Schema):
    items: list[AreaOut]
    count: int
