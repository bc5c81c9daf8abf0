"""The shapes every app's API shares: strict bodies, ids, days, pages and short references to
users, carers and areas. Resources have their own in each app (`care365/<app>/schemas.py`)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from django.conf import settings
from ninja import P, PathEx, Schema
from ninja.schema import DjangoGetter
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from care365.core import ids

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


# ---- shared pieces ---------------------------------------------------------------------------


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


class UserBrief(Schema):
    id: int
    username: str
    role: str


class CarerBrief(Schema):
    id: int
    role: str
    name: str


class OrganisationRef(Schema):
    id: int
    kind: str
    name: str


# A child's id in an API path, bounded like every id.
ChildId = PathEx[int, P(ge=1, le=MAX_ID, description="The child's id in Care365.")]
