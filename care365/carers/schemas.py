"""The API's shapes for carers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import (
    Field,
)

from care365.carers.models import BackgroundCheck, CarerRole, Organisation, ServiceKind, Skill
from care365.core.schemas import LAX, AreaRef, Body, Day, Id, Page, Patch, Text
from care365.protection.models import Notification
from care365.registry.models import Language

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


# ---- the county administrator's writes -------------------------------------------------------

PHONE_DESCRIPTION = (
    "A mainland mobile number, or a landline with its area code (0578-5081234); checked, 422 "
    "otherwise."
)


class CarerFields(Patch):
    """A change to a carer: only the fields sent change."""

    name: Text | None = Field(None, min_length=1, max_length=50)
    sex: Literal["M", "F"] | None = None
    phone: Text | None = Field(None, max_length=20, description=PHONE_DESCRIPTION)
    organisation: Id | None = Field(
        None, description="Id of an organisation of your county of the role's kind."
    )
    capacity: int | None = Field(None, ge=1, le=500, description="Children the carer can take.")
    service_areas: list[Id] | None = Field(
        None, max_length=500, description="Ids of townships or villages of your county (or area)."
    )
    skills: list[Annotated[Skill, LAX]] | None = Field(None, max_length=30)
    languages: list[Annotated[Language, LAX]] | None = Field(None, max_length=10)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)


class CarerCreateIn(Body):
    """A new carer; without a place (latitude, longitude), their organisation's."""

    role: Annotated[CarerRole, LAX]
    name: Text = Field(min_length=1, max_length=50)
    sex: Literal["M", "F"]
    phone: Text = Field("", max_length=20, description=PHONE_DESCRIPTION)
    organisation: Id = Field(description="Id of an organisation of your county of the role's kind.")
    capacity: int = Field(ge=1, le=500, description="How many children the carer can take.")
    service_areas: list[Id] = Field(
        default_factory=list,
        max_length=500,
        description="Ids of townships or villages of your county (or area).",
    )
    skills: list[Annotated[Skill, LAX]] = Field(default_factory=list, max_length=30)
    languages: list[Annotated[Language, LAX]] = Field(default_factory=list, max_length=10)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)


class CarerVetIn(Body):
    background_check: Annotated[BackgroundCheck, LAX]
    background_checked_on: Day | None = None
    trained_on: Day | None = None


class CarerDeactivateOut(Schema):
    id: int
    active: bool
    pairings_ended: int


class OrganisationIn(Body):
    kind: Annotated[Organisation.Kind, LAX]
    name: Text = Field(min_length=1, max_length=100)
    area: Id = Field(description="Id of an area of your county.")
    phone: Text = Field("", max_length=20, description=PHONE_DESCRIPTION)
    contact_name: Text = Field("", max_length=50, description="The person referrals go to.")
    contact_phone: Text = Field("", max_length=20, description=PHONE_DESCRIPTION)
    contact_email: Text = Field("", max_length=254, description="Where referrals are emailed.")
    services: list[Annotated[ServiceKind, LAX]] = Field(
        default_factory=list, max_length=10, description="The services children are referred to."
    )


class OrganisationPatch(Patch):
    kind: Annotated[Organisation.Kind, LAX] | None = None
    name: Text | None = Field(None, min_length=1, max_length=100)
    area: Id | None = None
    phone: Text | None = Field(None, max_length=20, description=PHONE_DESCRIPTION)
    contact_name: Text | None = Field(None, max_length=50)
    contact_phone: Text | None = Field(None, max_length=20, description=PHONE_DESCRIPTION)
    contact_email: Text | None = Field(None, max_length=254)
    services: list[Annotated[ServiceKind, LAX]] | None = Field(None, max_length=10)


class OrganisationFullOut(OrganisationOut):
    phone: str
    contact_name: str
    contact_phone: str
    contact_email: str
    services: list[str]


class OrganisationListOut(Schema):
    items: list[OrganisationFullOut]
    count: int


# ---- an organisation's webhook endpoints and their deliveries (docs/network.md) --------------


class WebhookEndpointIn(Body):
    url: Text = Field(
        min_length=1,
        max_length=500,
        description="An https:// address of the organisation's system.",
    )


class WebhookEndpointOut(Schema):
    id: int
    organisation: int = Field(validation_alias="organisation_id")
    url: str
    active: bool
    created_at: datetime
    secret_rotated_at: datetime | None


class WebhookEndpointListOut(Schema):
    items: list[WebhookEndpointOut]
    count: int


class WebhookSecretOut(WebhookEndpointOut):
    secret: str = Field(description="The signing secret: shown this once, never again.")


class WebhookDeliveryQuery(Page):
    state: Notification.State | None = Field(None, description="pending, sending, sent or failed.")


class WebhookDeliveryOut(Schema):
    id: int
    endpoint: int = Field(validation_alias="webhook_id")
    organisation: int
    event: str
    referral: int | None
    idempotency_key: str
    state: str
    attempts: int
    last_error: str
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None


class WebhookDeliveryListOut(Schema):
    items: list[WebhookDeliveryOut]
    count: int
