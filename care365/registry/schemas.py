"""The API's shapes for children: filters, rows, the record, writes."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from ninja import Schema
from pydantic import (
    ConfigDict,
    Field,
    JsonValue,
)

from care365.core.schemas import LAX, AreaRef, Body, Day, Id, Page, Patch, Text
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

# ---- children: filters and output ------------------------------------------------------------


class ChildFilterQuery(Page):
    """Filters that identify nobody, so they may travel in a URL."""

    area: Id | None = Field(None, description="An area in your scope: county, township or village.")
    status: Annotated[StatusKind, LAX] | None = Field(
        None, description="Only children with this open status."
    )
    age_min: int | None = Field(None, ge=0, le=30)
    age_max: int | None = Field(None, ge=0, le=30)
    sex: Annotated[Sex, LAX] | None = None
    include_exited: bool = Field(False, description="Also list children who left the registry.")


class ChildSearchIn(ChildFilterQuery, Body):
    """The same filters plus a name or ID number, sent in the body: a child's name or ID number
    never goes in a URL, where proxies and access logs would keep it."""

    q: Text = Field(
        min_length=1,
        max_length=50,
        description="Part of a name, or a full ID number (matched exactly).",
    )


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
    count: int = Field(description="How many children match: exact up to 10,000.")
    count_is_exact: bool = Field(
        True, description="False when more than 10,000 match; `count` is then 10,000."
    )


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


# ---- children: writes ------------------------------------------------------------------------


class ParentIn(Body):
    name: Text = Field("", max_length=50)
    situation: Annotated[ParentSituation, LAX]
    work_place: Text = Field("", max_length=100, description="Where they work, if away.")
    away_since: Day | None = None
    unable_reason: Text = Field("", max_length=200)
    phone: Text = Field("", max_length=20)


class GuardianIn(Body):
    """The entrusted carer the parents named."""

    name: Text = Field(min_length=1, max_length=50)
    relationship: Annotated[GuardianRelationship, LAX]
    phone: Text = Field("", max_length=20)
    suitability_checked_on: Day | None = None
    parents_notified_village_on: Day | None = None


REGISTRATION_EXAMPLE: dict[str, JsonValue] = {
    "name": "陈小雨",
    "sex": "F",
    "birth_date": "2016-05-20",
    "id_number": "331127201605200026",
    "village": 1,
    "address": "东弄村12号",
    "grade": "p3",
    "interests": ["music"],
    "statuses": ["left_behind"],
    "father": {"situation": "away", "work_place": "宁波", "phone": "13711112222"},
    "mother": {"situation": "away", "work_place": "温州"},
    "guardian": {"name": "陈奶奶", "relationship": "grandmother", "phone": "13633334444"},
}


class ChildIn(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [REGISTRATION_EXAMPLE]})

    name: Text = Field(min_length=1, max_length=50)
    sex: Annotated[Sex, LAX]
    birth_date: Day
    ethnicity: Annotated[Ethnicity, LAX] = Ethnicity.HAN
    id_number: Text = Field("", max_length=32, description="Resident ID number (GB 11643).")
    hukou: Annotated[Hukou, LAX] = Hukou.RURAL
    village: Id = Field(description="Id of a village you may register children in.")
    address: Text = Field("", max_length=500)
    school: Text = Field("", max_length=100)
    grade: Annotated[Grade, LAX] = Grade.NOT_IN_SCHOOL
    boarding: bool = False
    health_notes: Text = Field("", max_length=5000)
    disability_notes: Text = Field("", max_length=5000)
    interests: list[Annotated[Interest, LAX]] = Field(default_factory=list, max_length=20)
    languages: list[Annotated[Language, LAX]] = Field(default_factory=list, max_length=10)
    income_source: Annotated[IncomeSource, LAX] = IncomeSource.MIGRANT_WORK
    statuses: list[Annotated[StatusKind, LAX]] = Field(default_factory=list, max_length=10)
    father: ParentIn | None = None
    mother: ParentIn | None = None
    guardian: GuardianIn | None = None


class ParentPatch(Patch):
    name: Text | None = Field(None, max_length=50)
    situation: Annotated[ParentSituation, LAX] | None = None
    work_place: Text | None = Field(None, max_length=100)
    away_since: Day | None = None
    unable_reason: Text | None = Field(None, max_length=200)
    phone: Text | None = Field(None, max_length=20)


class GuardianPatch(Patch):
    name: Text | None = Field(None, max_length=50)
    relationship: Annotated[GuardianRelationship, LAX] | None = None
    phone: Text | None = Field(None, max_length=20)
    suitability_checked_on: Day | None = None
    parents_notified_village_on: Day | None = None


class ChildPatch(Patch):
    """Only the fields sent change (and, in father, mother and guardian, only theirs)."""

    name: Text | None = Field(None, min_length=1, max_length=50)
    sex: Annotated[Sex, LAX] | None = None
    birth_date: Day | None = None
    ethnicity: Annotated[Ethnicity, LAX] | None = None
    id_number: Text | None = Field(None, max_length=32)
    hukou: Annotated[Hukou, LAX] | None = None
    village: Id | None = Field(None, description="Move the child to this village.")
    address: Text | None = Field(None, max_length=500)
    school: Text | None = Field(None, max_length=100)
    grade: Annotated[Grade, LAX] | None = None
    boarding: bool | None = None
    health_notes: Text | None = Field(None, max_length=5000)
    disability_notes: Text | None = Field(None, max_length=5000)
    interests: list[Annotated[Interest, LAX]] | None = Field(None, max_length=20)
    languages: list[Annotated[Language, LAX]] | None = Field(None, max_length=10)
    income_source: Annotated[IncomeSource, LAX] | None = None
    father: ParentPatch | None = None
    mother: ParentPatch | None = None
    guardian: GuardianPatch | None = None


class ExitIn(Body):
    reason: Annotated[ExitReason, LAX]
    on: Day | None = Field(None, description="The day the child left; today if not given.")


REASON_RULE = (
    " A sentence of at least 10 characters (a Chinese character counts as one), not only "
    "digits, punctuation or one character repeated; kept in the access log."
)


class RevealIn(Body):
    reason: Text = Field(
        min_length=1,
        max_length=255,
        pattern=r"\S",
        description="Why the full number is needed." + REASON_RULE,
    )


class ConfirmIdIn(Body):
    id_number: Text = Field(
        min_length=1, max_length=32, description="The full ID number to check against the record."
    )
    reason: Text = Field(
        min_length=1, max_length=255, description="Why it must be confirmed." + REASON_RULE
    )


class ConfirmIdOut(Schema):
    match: bool = Field(description="Whether the number typed is the child's ID number.")
