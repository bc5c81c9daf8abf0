"""Input and output schemas of the API.

Inputs use the registry's own choices (sex, status, grade, ...) so the OpenAPI schema lists the
allowed values; the services still validate everything that depends on the data (the ID number's
check digit and its agreement with the record, duplicates, dates). Outputs are what
`care365.accounts.visibility` renders: their fields are optional because each role sees a
different subset, and a field the viewer may not see is left out of the response, not sent empty.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from django.conf import settings
from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    Strict,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from care365.carers.models import CarerRole
from care365.core import ids
from care365.pairing.models import Outcome, PairRule
from care365.registry.models import (
    ConsentPurpose,
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
MAX_ID = ids.MAX_ID
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


def _iso_day(value: Any) -> Any:
    """A day as JSON spells it, "YYYY-MM-DD": not a number of seconds, not a date-time."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
        raise PydanticCustomError("date_format", "Give the date as YYYY-MM-DD.")
    return value


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Bodies are validated strictly (no "5" for 5, no 0 for false), as JSON Schema reads them; choices
# and days arrive as JSON strings, so they alone are read leniently, from their string form.
LAX = Strict(False)

Text = Annotated[str, AfterValidator(_storable)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Day = Annotated[date, LAX, BeforeValidator(_iso_day)]


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


class Body(InSchema):
    """A JSON request body, validated strictly."""

    model_config = ConfigDict(strict=True)


def _no_nulls_in_schema(schema: dict[str, Any]) -> None:
    """Publish a patch's fields as "leave out or give a value": null is not an answer."""
    for prop in schema.get("properties", {}).values():
        options = prop.pop("anyOf", None)
        if options is not None:
            kept = [o for o in options if o != {"type": "null"}]
            if len(kept) == 1:
                prop.update(kept[0])
            else:
                prop["anyOf"] = kept
        if prop.get("default", 0) is None:
            del prop["default"]


class Patch(Body):
    """A partial update: a field left out keeps its value; null is refused, since no field of
    the registry is cleared by null (send "" to clear a text)."""

    model_config = ConfigDict(json_schema_extra=_no_nulls_in_schema)

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise PydanticCustomError("not_null", "Leave the field out instead of sending null.")
        return value


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


class TokenIn(Body):
    username: Text = Field(min_length=1, max_length=150)
    password: Text = Field(min_length=1, max_length=4096)
    code: Text = Field(
        "",
        max_length=32,
        description="With two-step sign-in: the authenticator app's code, or a recovery code.",
    )
    label: Text = Field(
        "",
        max_length=100,
        description="A name to tell this token apart in the list (e.g. the script that uses it).",
    )


class TokenOut(Schema):
    token: str = Field(description="Send as `Authorization: Bearer <token>`; shown only once.")


class TokenUserOut(Schema):
    id: int
    username: str


class ApiTokenOut(Schema):
    """A live token, without its secret: only its first characters and label tell it apart."""

    id: int
    prefix: str = Field(description="The token's first characters (it opens nothing).")
    label: str
    created_at: datetime
    last_used_at: datetime | None = Field(description="To the nearest five minutes.")
    expires_at: datetime
    current: bool = Field(description="Whether this request was made with this token.")
    user: TokenUserOut


# ---- children: filters and output -----------------------------------------------------------


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


# ---- children: writes -----------------------------------------------------------------------


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
    outcome: str = Field(
        description="allowed (the record was shown or changed) or refused (the user was turned "
        "away: a purpose their role may not have, a failed emergency access, a registration "
        "with this child's ID number elsewhere)"
    )


class AccessLogListOut(Schema):
    items: list[AccessLogOut]
    count: int


# ---- pairing --------------------------------------------------------------------------------


class CarerBrief(Schema):
    id: int
    role: str
    name: str


class ProposalLineOut(Schema):
    """One line of a proposal. `child` is the child's id; `carer` null means without a carer of
    the role, for `unpaired_reason`."""

    child: int
    role: str
    outcome: str = Field(description="kept, new, changed or unpaired")
    carer: CarerBrief | None
    previous: CarerBrief | None = Field(description="Today's carer of the role, if any.")
    unpaired_reason: str = Field(
        description="no_eligible_in_range, capacity_exhausted or no_consent; empty when paired"
    )
    distance_m: int | None
    cost: int | None
    reasons: list[str] = Field(
        description='Why this carer: "2.4 km", "continuity", "locked", "service_area", '
        '"interest:<interest>", "language:<language>", "woman_volunteer".'
    )


class ProposalLinesOut(Schema):
    items: list[ProposalLineOut]
    count: int


class RecruitmentOut(Schema):
    township: AreaRef
    role: str
    no_carer_in_reach: int = Field(description="Children with nobody eligible within reach.")
    carers_needed: int = Field(description="New carers of the role's typical capacity.")
    capacity_short: int = Field(description="Children whose carers within reach are all full.")


class ProposalOut(Schema):
    id: int
    state: str = Field(description="proposed, approved or superseded")
    created_at: datetime
    approved_at: datetime | None
    figures: dict[str, Any] = Field(
        description="children, carers, outcomes per role, total_cost, seconds; after approval "
        "also applied: started and ended pairings."
    )
    recruitment: list[RecruitmentOut]
    lines: ProposalLinesOut


class ProposalLinesQuery(Page):
    outcome: Annotated[Outcome, LAX] | None = Field(
        None, description="Only lines with this outcome; by default every line but kept ones."
    )
    role: Annotated[CarerRole, LAX] | None = None


class PairRuleIn(Body):
    child: Id
    carer: Id
    kind: Annotated[PairRule.Kind, LAX] = Field(
        description="lock: proposals keep the pair; forbid: proposals never make it."
    )


class PairRuleOut(Schema):
    id: int
    child: int
    role: str
    carer: CarerBrief
    kind: str


class TeamMemberOut(Schema):
    role: str
    carer: CarerBrief
    organisation: str
    phone: str
    since: date
    reasons: list[str]


class ConsentIn(Body):
    purpose: Annotated[ConsentPurpose, LAX]
    given_on: Day | None = None
    reference: Text = Field("", max_length=100, description="Where the signed paper is kept.")


class ConsentWithdrawIn(Body):
    purpose: Annotated[ConsentPurpose, LAX]
    on: Day | None = None


class ConsentOut(Schema):
    purpose: str
    given_on: date
    reference: str
    withdrawn_on: date | None


# ---- break-the-glass ------------------------------------------------------------------------


class AccessGrantIn(Body):
    id_number: Text = Field(min_length=15, max_length=18, description="The child's full ID number.")
    reason: Text = Field(
        min_length=1, max_length=255, description="Why you need the record now." + REASON_RULE
    )


class AccessGrantOut(Schema):
    child: int = Field(description="The child's id: `GET /children/{child}` now answers.")
    expires_at: datetime
