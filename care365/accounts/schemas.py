"""The API's shapes for tokens, the access log and break-the-glass."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Schema
from pydantic import (
    Field,
)

from care365.accounts.models import Role
from care365.core.schemas import (
    LAX,
    AreaRef,
    Body,
    CarerBrief,
    Id,
    OrganisationRef,
    Page,
    Patch,
    Text,
    UserBrief,
)
from care365.registry.schemas import REASON_RULE

# ---- auth ------------------------------------------------------------------------------------


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


# ---- access log ------------------------------------------------------------------------------


class AccessLogQuery(Page):
    child: Id = Field(description="Id of the child whose record's readers to list.")


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


# ---- break-the-glass -------------------------------------------------------------------------


class AccessGrantIn(Body):
    id_number: Text = Field(min_length=15, max_length=18, description="The child's full ID number.")
    reason: Text = Field(
        min_length=1, max_length=255, description="Why you need the record now." + REASON_RULE
    )


class AccessGrantOut(Schema):
    child: int = Field(description="The child's id: `GET /children/{child}` now answers.")
    expires_at: datetime


# ---- the county's users ----------------------------------------------------------------------


class UserFieldsIn(Patch):
    """A change to a user of your county: only the fields sent change."""

    role: Annotated[Role, LAX] | None = None
    area: Id | None = Field(
        None, description="For a county administrator, supervisor or director: their area."
    )
    carer: Id | None = Field(
        None, description="For a police officer, doctor or volunteer: their carer record."
    )
    organisation: Id | None = Field(
        None, description="For a teacher: their school; for organisation staff: the organisation."
    )
    first_name: Text | None = Field(None, max_length=150)
    last_name: Text | None = Field(None, max_length=150)
    email: Text | None = Field(None, max_length=254)


class UserCreateIn(Body):
    username: Text = Field(min_length=1, max_length=150)
    role: Annotated[Role, LAX]
    area: Id | None = Field(None, description="For area roles: the county, a township, a village.")
    carer: Id | None = Field(None, description="For carer roles: their carer record.")
    organisation: Id | None = Field(
        None, description="For teachers and organisation staff: their organisation."
    )
    first_name: Text = Field("", max_length=150)
    last_name: Text = Field("", max_length=150)
    email: Text = Field("", max_length=254)


class ManagedUserOut(Schema):
    id: int
    username: str
    role: str
    area: AreaRef | None
    carer: CarerBrief | None
    organisation: OrganisationRef | None
    first_name: str
    last_name: str
    is_active: bool


class ManagedUserListOut(Schema):
    items: list[ManagedUserOut]
    count: int


class UserCreatedOut(ManagedUserOut):
    password_link: str = Field(
        description="The one-time link at which the user sets their password: hand it over; "
        "it is not kept."
    )
