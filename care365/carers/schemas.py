"""The API's shapes for carers."""

from __future__ import annotations

from datetime import date

from ninja import Schema
from pydantic import (
    Field,
)

from care365.carers.models import CarerRole
from care365.core.schemas import AreaRef, Id, Page, Text

# ---- carers ----------------------------------------------------------------------------------


class CarerFilterQuery(Page):
    role: CarerRole | None = None
    area: Id | None = Field(None, description="Carers based in or serving this area.")
    q: Text = Field("", max_length=50, description="Part of a name.")


class OrganisationOut(Schema):
    id: int
    kind: str
    name: str
    area: AreaRef


class CarerRowOut(Schema):
    id: int
    role: str
    name: str
    organisation: OrganisationOut
    capacity: int
    active: bool


class CarerListOut(Schema):
    items: list[CarerRowOut]
    count: int


class CarerOut(CarerRowOut):
    sex: str
    phone: str
    service_areas: list[AreaRef]
    latitude: float
    longitude: float
    skills: list[str]
    languages: list[str]
    background_check: str
    background_checked_on: date | None
    trained_on: date | None
