"""The API's shapes for pairing: proposals, rules, the team, consent."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import (
    Field,
)

from care365.carers.models import CarerRole
from care365.core.schemas import LAX, AreaRef, Body, CarerBrief, Day, Id, Page, Text
from care365.pairing.models import Outcome, PairRule
from care365.registry.models import (
    ConsentPurpose,
)

# ---- pairing ---------------------------------------------------------------------------------


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


class AssignmentIn(Body):
    child: Id
    carer: Id = Field(description="A carer of your county; the pair is of the carer's role.")


class AssignmentOut(Schema):
    child: int
    role: str
    carer: int
    since: date
    locked: bool = Field(description="Always true: later proposals keep the pair.")
