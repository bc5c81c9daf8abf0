"""The API's shapes for tokens, the access log and break-the-glass."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import (
    Field,
)

from care365.core.schemas import Body, Id, Page, Text, UserBrief
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
