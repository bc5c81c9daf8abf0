"""Input and output schemas of the API.

Inputs use the registry's own choices (sex, status, grade, ...) so the OpenAPI schema lists the
allowed values; the services still validate everything that depends on the data (the ID number's
check digit and its agreement with the record, duplicates, dates). Outputs are what
`care365.accounts.visibility` renders: their fields are optional because each role sees a
different subset, and a field the viewer may not see is left out of the response, not sent empty.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from django.conf import settings
from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import AfterValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from care365.carers.models import CarerRole
from care365.registry.models import (
    Ethnicity,
    ExitReason,
    Grade,
    GuardianRelationship,
    Hukou,
    IncomeSource,
    Interest,
    Language,
    ParentSituation,
    Sex,
    StatusKind,
)

# Largest id the databases store (a signed 64-bit integer); larger ones would not reach a query.
MAX_ID = 2**63 - 1
MAX_PAGE_SIZE = 100
MAX_OFFSET = 10_000_000


def _storable(value: str) -> str:
    """Refuse text no database column can hold: NUL characters and lone surrogates."""
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "Text may not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise PydanticCustomError("surrogate", "Text must be valid Unicode.") from exc
    return value


Text = Annotated[str, AfterValidator(_storable)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class InSchema(Schema):
    """A request's body or query: choices arrive as plain values, ready for the services."""

    model_config = ConfigDict(use_enum_values=True)

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, data: Any) -> Any:
        # ninja's schemas read attributes from any object, so a list or a string would pass as
        # an object with every field left out.
        given = data._obj if isinstance(data, DjangoGetter) else data
        if not isinstance(given, dict):
            raise PydanticCustomError("object_type", "Send a JSON object.")
        return data


# ---- shared pieces --------------------------------------------------------------------------


class AreaRef(Schema):
    id: int
    name: str
    code: str


class Page(InSchema):
    """limit/offset paging, shared by every list."""

    limit: int = Field(
        settings.PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Items per page (at most 100)."
    )
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Items to skip.")


# ---- auth -----------------------------------------------------------------------------------


class TokenIn(InSchema):
    username: Text = Field(min_length=1, max_length=150)
    password: Text = Field(min_length=1, max_length=4096)


class TokenOut(Schema):
    token: str = Field(description="Send as `Authorization: Bearer <token>`; shown only once.")


# ---- children: filters and output -----------------------------------------------------------


class ChildFilterQuery(Page):
    area: Id | None = Field(None, description="An area in your scope: county, township or village.")
    status: StatusKind | None = Field(None, description="Only children with this open status.")
    age_min: int | None = Field(None, ge=0, le=30)
    age_max: int | None = Field(None, ge=0, le=30)
    sex: Sex | None = None
    q: Text = Field(
        "", max_length=50, description="Part of a name, or a full ID number (matched exactly)."
    )
    include_exited: bool = Field(False, description="Also list children who left the registry.")


class VillageBrief(Schema):
    id: int
    name: str


class ChildRowOut(Schema):
    """One line of the children list; `name` and `sex` only for roles that may see identity."""

    id: int
    age: int
    village: VillageBrief
    active: bool
    name: str | None = None
    sex: str | None = None


class ChildListOut(Schema):
    items: list[ChildRowOut]
    count: int


class StatusOut(Schema):
    kind: str
    started_on: date
    ended_on: date | None
    end_reason: str


class ParentOut(Schema):
    role: str
    name: str
    situation: str
    work_place: str
    away_since: date | None
    unable_reason: str
    phone: str


class GuardianOut(Schema):
    name: str
    relationship: str
    phone: str
    suitability_checked_on: date | None
    parents_notified_village_on: date | None


class ChildOut(Schema):
    """A child as the caller's role may see them (DESIGN.md, "Who sees what").

    `id_number` is masked unless a county administrator asked for it with a reason."""

    id: int
    age: int
    village: AreaRef
    active: bool
    given_name: str | None = None
    name: str | None = None
    sex: str | None = None
    birth_date: date | None = None
    ethnicity: str | None = None
    township: AreaRef | None = None
    exited_on: date | None = None
    exit_reason: str | None = None
    id_number: str | None = None
    address: str | None = None
    hukou: str | None = None
    school: str | None = None
    grade: str | None = None
    boarding: bool | None = None
    health_notes: str | None = None
    disability_notes: str | None = None
    interests: list[str] | None = None
    languages: list[str] | None = None
    statuses: list[StatusOut] | None = None
    income_source: str | None = None
    parents: list[ParentOut] | None = None
    guardian: GuardianOut | None = None


# ---- children: writes -----------------------------------------------------------------------


class ParentIn(InSchema):
    name: Text = Field("", max_length=50)
    situation: ParentSituation
    work_place: Text = Field("", max_length=100, description="Where they work, if away.")
    away_since: date | None = None
    unable_reason: Text = Field("", max_length=200)
    phone: Text = Field("", max_length=20)


class GuardianIn(InSchema):
    """The entrusted carer the parents named."""

    name: Text = Field(min_length=1, max_length=50)
    relationship: GuardianRelationship
    phone: Text = Field("", max_length=20)
    suitability_checked_on: date | None = None
    parents_notified_village_on: date | None = None


class ChildIn(InSchema):
    name: Text = Field(min_length=1, max_length=50)
    sex: Sex
    birth_date: date
    ethnicity: Ethnicity = Ethnicity.HAN
    id_number: Text = Field("", max_length=32, description="Resident ID number (GB 11643).")
    hukou: Hukou = Hukou.RURAL
    village: Id = Field(description="Id of a village you may register children in.")
    address: Text = Field("", max_length=500)
    school: Text = Field("", max_length=100)
    grade: Grade = Grade.NOT_IN_SCHOOL
    boarding: bool = False
    health_notes: Text = Field("", max_length=5000)
    disability_notes: Text = Field("", max_length=5000)
    interests: list[Interest] = Field(default_factory=list, max_length=20)
    languages: list[Language] = Field(default_factory=list, max_length=10)
    income_source: IncomeSource = IncomeSource.MIGRANT_WORK
    statuses: list[StatusKind] = Field(default_factory=list, max_length=10)
    father: ParentIn | None = None
    mother: ParentIn | None = None
    guardian: GuardianIn | None = None


class ParentPatch(InSchema):
    name: Text | None = Field(None, max_length=50)
    situation: ParentSituation | None = None
    work_place: Text | None = Field(None, max_length=100)
    away_since: date | None = None
    unable_reason: Text | None = Field(None, max_length=200)
    phone: Text | None = Field(None, max_length=20)


class GuardianPatch(InSchema):
    name: Text | None = Field(None, max_length=50)
    relationship: GuardianRelationship | None = None
    phone: Text | None = Field(None, max_length=20)
    suitability_checked_on: date | None = None
    parents_notified_village_on: date | None = None


class ChildPatch(InSchema):
    """Only the fields sent change. A required field sent as null is refused (422)."""

    name: Text | None = Field(None, min_length=1, max_length=50)
    sex: Sex | None = None
    birth_date: date | None = None
    ethnicity: Ethnicity | None = None
    id_number: Text | None = Field(None, max_length=32)
    hukou: Hukou | None = None
    village: Id | None = Field(None, description="Move the child to this village.")
    address: Text | None = Field(None, max_length=500)
    school: Text | None = Field(None, max_length=100)
    grade: Grade | None = None
    boarding: bool | None = None
    health_notes: Text | None = Field(None, max_length=5000)
    disability_notes: Text | None = Field(None, max_length=5000)
    interests: list[Interest] | None = Field(None, max_length=20)
    languages: list[Language] | None = Field(None, max_length=10)
    income_source: IncomeSource | None = None
    father: ParentPatch | None = None
    mother: ParentPatch | None = None
    guardian: GuardianPatch | None = None


class ExitIn(InSchema):
    reason: ExitReason
    on: date | None = Field(None, description="The day the child left; today if not given.")


class RevealIn(InSchema):
    reason: Text = Field(
        min_length=1, max_length=255, pattern=r"\S", description="Why the full number is needed."
    )


# ---- carers ---------------------------------------------------------------------------------


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


# ---- areas ----------------------------------------------------------------------------------


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


# ---- access log -----------------------------------------------------------------------------


class AccessLogQuery(Page):
    child: Id = Field(description="Id of the child whose record's readers to list.")


class UserBrief(Schema):
    id: int
    username: str
    role: str


class AccessLogOut(Schema):
    id: int
    at: datetime
    user: UserBrief
    purpose: str
    route: str
    reason: str


class AccessLogListOut(Schema):
    items: list[AccessLogOut]
    count: int
