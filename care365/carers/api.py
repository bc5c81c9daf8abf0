"""Carers: police officers, doctors and volunteers, as far as the caller may see them."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import P, PathEx, Query, Router, Status

from care365.accounts import services
from care365.accounts.access import (
    administers_county,
    carer_areas_for_user,
    carer_get_for_admin,
    carer_get_for_user,
    county_for_admin,
    managed_areas,
    may_add_carer,
    organisation_get_for_admin,
    organisations_for_user,
)
from care365.accounts.api import account
from care365.accounts.models import User
from care365.accounts.selectors import carer_list
from care365.areas.models import Area
from care365.carers.models import Carer, Organisation
from care365.carers.schemas import (
    CarerCreateIn,
    CarerDeactivateOut,
    CarerFields,
    CarerFilterQuery,
    CarerListOut,
    CarerOut,
    CarerVetIn,
    OrganisationFullOut,
    OrganisationIn,
    OrganisationListOut,
    OrganisationPatch,
    WebhookDeliveryListOut,
    WebhookDeliveryQuery,
    WebhookEndpointIn,
    WebhookEndpointListOut,
    WebhookEndpointOut,
    WebhookSecretOut,
)
from care365.core.api import responses
from care365.core.schemas import MAX_ID, Page
from care365.pairing import services as pairing_services
from care365.protection import selectors as protection_selectors
from care365.protection import services as protection_services
from care365.protection.access import webhook_endpoint_get_for_admin
from care365.protection.models import WebhookEndpoint

router = Router(tags=["carers"])

CarerId = PathEx[int, P(ge=1, le=MAX_ID, description="The carer's id in Care365.")]


@router.get(
    "",
    response=responses(200, CarerListOut),
    operation_id="carer_list",
    summary="List carers",
)
def carer_list_op(request: HttpRequest, filters: Query[CarerFilterQuery]) -> dict[str, Any]:
    """Registry staff see their county's carers; a carer sees their own record."""
    user = account(request)
    carers = carer_list(user, role=filters.role, area=filters.area, q=filters.q)
    count = carers.count()
    return {"items": list(carers[filters.offset : filters.offset + filters.limit]), "count": count}


@router.get(
    "/{carer_id}",
    response=responses(200, CarerOut),
    operation_id="carer_get",
    summary="Get a carer",
)
def carer_get(request: HttpRequest, carer_id: CarerId) -> Carer:
    user = account(request)
    carer = carer_get_for_user(user, carer_id)
    return carer


# The county administrator's writes (a supervisor or a director may propose a volunteer). -----


def _carer_values(user: User, payload: CarerFields | CarerCreateIn) -> dict[str, Any]:
    """The body's fields as the services take them: ids become the records the user may name;
    an id they may not (missing or another county's alike) is refused beside its field."""
    values: dict[str, Any] = payload.model_dump(exclude_unset=True, exclude={"role"})
    for name in ("latitude", "longitude"):
        if values.get(name, 0) is None:
            del values[name]
    if "organisation" in values:
        values["organisation"] = (
            organisations_for_user(user).filter(pk=values["organisation"]).first()
        )
        if values["organisation"] is None:
            raise ValidationError({"organisation": _("Choose an organisation of your county.")})
    if "service_areas" in values:
        wanted = set(values["service_areas"])
        areas = list(carer_areas_for_user(user).filter(pk__in=wanted))
        if len(areas) != len(wanted):
            raise ValidationError(
                {"service_areas": _("Choose townships or villages of your area.")}
            )
        values["service_areas"] = areas
    return values


@router.post(
    "",
    response=responses(201, CarerOut),
    operation_id="carer_create",
    summary="Add a carer",
)
def carer_create(request: HttpRequest, payload: CarerCreateIn) -> Status[Carer]:
    """County administrators add police officers, doctors and volunteers of their county; a
    supervisor or a director may propose a volunteer for their own area (recorded unvetted: a
    county administrator records the vetting before they are paired). Anyone else: 403. The
    phone is checked (422 naming `phone`)."""
    user = account(request)
    if not may_add_carer(user, payload.role):
        raise PermissionDenied
    carer = services.carer_create(
        actor=user, role=payload.role, values=_carer_values(user, payload)
    )
    return Status(201, carer_get_for_user(user, carer.pk))


def _admin_carer(request: HttpRequest, carer_id: int) -> tuple[User, Carer]:
    user = account(request)
    if not administers_county(user):
        raise PermissionDenied
    return user, carer_get_for_admin(user, carer_id)


@router.patch(
    "/{carer_id}",
    response=responses(200, CarerOut),
    operation_id="carer_update",
    summary="Change a carer",
)
def carer_update(request: HttpRequest, carer_id: CarerId, payload: CarerFields) -> Carer:
    """Only the fields sent change (county administrators; a carer of another county: 404).
    Raising `capacity` is how a full carer takes another child."""
    user, carer = _admin_carer(request, carer_id)
    services.carer_update(actor=user, carer=carer, values=_carer_values(user, payload))
    return carer_get_for_user(user, carer.pk)


@router.post(
    "/{carer_id}/vetting",
    response=responses(200, CarerOut),
    operation_id="carer_vet",
    summary="Record a carer's background check and training",
)
def carer_vet(request: HttpRequest, carer_id: CarerId, payload: CarerVetIn) -> Carer:
    """County administrators. A volunteer is paired only with a passed check that is still
    valid and a training date; a result needs its date, and no date lies in the future."""
    user, carer = _admin_carer(request, carer_id)
    services.carer_vet(actor=user, carer=carer, **payload.model_dump())
    return carer_get_for_user(user, carer.pk)


@router.post(
    "/{carer_id}/deactivate",
    response=responses(200, CarerDeactivateOut),
    operation_id="carer_deactivate",
    summary="Deactivate a carer (their pairings end)",
)
def carer_deactivate(request: HttpRequest, carer_id: CarerId) -> dict[str, Any]:
    """The carer stops serving: each of their pairings ends today, their children become gaps
    for the next pairing run, their locks go and the county's open proposal is withdrawn."""
    user, carer = _admin_carer(request, carer_id)
    ended = pairing_services.carer_deactivate(actor=user, carer=carer)
    return {"id": carer.pk, "active": False, "pairings_ended": ended}


organisations_router = Router(tags=["carers"])

OrganisationId = PathEx[int, P(ge=1, le=MAX_ID, description="The organisation's id.")]


def _admin_county(request: HttpRequest) -> tuple[User, Area]:
    user = account(request)
    county = county_for_admin(user)
    if county is None:
        raise PermissionDenied
    return user, county


def _organisation_values(user: User, values: dict[str, Any]) -> dict[str, Any]:
    # The county itself, for a county-wide body (the education bureau, the court), or below it.
    if "area" in values:
        values["area"] = managed_areas(user).filter(pk=values["area"]).first()
        if values["area"] is None:
            raise ValidationError({"area": _("Choose an area of your county.")})
    return values


@organisations_router.get(
    "",
    response=responses(200, OrganisationListOut),
    operation_id="organisation_list",
    summary="The county's organisations",
)
def organisation_list(request: HttpRequest, filters: Query[Page]) -> dict[str, Any]:
    """Police stations, health centres, clinics and volunteer groups of your county, with their
    duty phones (county administrators; 403 for others)."""
    user, _county = _admin_county(request)
    rows = organisations_for_user(user).select_related("area").order_by("kind", "name")
    return {
        "items": list(rows[filters.offset : filters.offset + filters.limit]),
        "count": rows.count(),
    }


@organisations_router.post(
    "",
    response=responses(201, OrganisationFullOut),
    operation_id="organisation_create",
    summary="Add an organisation",
)
def organisation_create(request: HttpRequest, payload: OrganisationIn) -> Status[Organisation]:
    """County administrators; the area must be of their county and the duty phone a checked
    number (422 naming the field)."""
    user, _county = _admin_county(request)
    values = _organisation_values(user, payload.model_dump())
    return Status(201, services.organisation_create(actor=user, values=values))


@organisations_router.patch(
    "/{organisation_id}",
    response=responses(200, OrganisationFullOut),
    operation_id="organisation_update",
    summary="Change an organisation",
)
def organisation_update(
    request: HttpRequest, organisation_id: OrganisationId, payload: OrganisationPatch
) -> Organisation:
    """Only the fields sent change; another county's organisation: 404."""
    user, _county = _admin_county(request)
    organisation = organisation_get_for_admin(user, organisation_id)
    values = _organisation_values(user, payload.model_dump(exclude_unset=True))
    return services.organisation_update(actor=user, organisation=organisation, values=values)


# An organisation's webhook endpoints and the county's deliveries (docs/network.md, "Webhooks"):
# county administrators; another county's organisation or endpoint: 404.

EndpointId = PathEx[int, P(ge=1, le=MAX_ID, description="The webhook endpoint's id.")]


def _endpoint_out(endpoint: WebhookEndpoint, secret: str | None = None) -> dict[str, Any]:
    out = {
        "id": endpoint.pk,
        "organisation_id": endpoint.organisation_id,
        "url": endpoint.url,
        "active": endpoint.active,
        "created_at": endpoint.created_at,
        "secret_rotated_at": endpoint.secret_rotated_at,
    }
    if secret is not None:
        out["secret"] = secret
    return out


@organisations_router.get(
    "/{organisation_id}/webhooks",
    response=responses(200, WebhookEndpointListOut),
    operation_id="webhook_endpoint_list",
    summary="An organisation's webhook endpoints",
)
def webhook_endpoint_list(request: HttpRequest, organisation_id: OrganisationId) -> dict[str, Any]:
    """Active first; the secrets are never listed."""
    user, _county = _admin_county(request)
    organisation = organisation_get_for_admin(user, organisation_id)
    rows = [_endpoint_out(e) for e in protection_selectors.webhook_endpoints_of(user, organisation)]
    return {"items": rows, "count": len(rows)}


@organisations_router.post(
    "/{organisation_id}/webhooks",
    response=responses(201, WebhookSecretOut),
    operation_id="webhook_endpoint_create",
    summary="Add a webhook endpoint (its secret is in this answer only)",
)
def webhook_endpoint_create(
    request: HttpRequest, organisation_id: OrganisationId, payload: WebhookEndpointIn
) -> Status[dict[str, Any]]:
    """An http(s) address (https only in production, but to loopback; 422 naming `url`
    otherwise). The answer carries the new signing secret, which is never shown again."""
    user, _county = _admin_county(request)
    organisation = organisation_get_for_admin(user, organisation_id)
    endpoint, secret = protection_services.webhook_endpoint_create(
        actor=user, organisation=organisation, url=payload.url
    )
    return Status(201, _endpoint_out(endpoint, secret))


@organisations_router.post(
    "/webhooks/{endpoint_id}/rotate",
    response=responses(200, WebhookSecretOut, 409),
    operation_id="webhook_endpoint_rotate",
    summary="Give a webhook endpoint a new secret (in this answer only)",
)
def webhook_endpoint_rotate(request: HttpRequest, endpoint_id: EndpointId) -> dict[str, Any]:
    """The old secret stops signing at once; a deactivated endpoint: 409."""
    user, _county = _admin_county(request)
    endpoint = webhook_endpoint_get_for_admin(user, endpoint_id)
    secret = protection_services.webhook_endpoint_rotate(actor=user, endpoint=endpoint)
    return _endpoint_out(endpoint, secret)


@organisations_router.post(
    "/webhooks/{endpoint_id}/deactivate",
    response=responses(200, WebhookEndpointOut),
    operation_id="webhook_endpoint_deactivate",
    summary="Deactivate a webhook endpoint",
)
def webhook_endpoint_deactivate(request: HttpRequest, endpoint_id: EndpointId) -> dict[str, Any]:
    """It is sent nothing more; a delivery still queued for it fails as deactivated."""
    user, _county = _admin_county(request)
    endpoint = webhook_endpoint_get_for_admin(user, endpoint_id)
    protection_services.webhook_endpoint_deactivate(actor=user, endpoint=endpoint)
    return _endpoint_out(endpoint)


@organisations_router.get(
    "/webhooks/deliveries",
    response=responses(200, WebhookDeliveryListOut),
    operation_id="webhook_delivery_list",
    summary="The county's webhook deliveries",
)
def webhook_delivery_list(
    request: HttpRequest, filters: Query[WebhookDeliveryQuery]
) -> dict[str, Any]:
    """Newest first, with their state, attempts, last error and times; `state` narrows."""
    user, _county = _admin_county(request)
    rows = protection_selectors.webhook_delivery_list(user, state=filters.state or "")
    page = rows[filters.offset : filters.offset + filters.limit]
    items = [
        {
            "id": d.pk,
            "webhook_id": d.webhook_id,
            "organisation": d.webhook.organisation_id if d.webhook else 0,
            "event": str(d.payload.get("event", "")),
            "referral": d.payload.get("data", {}).get("referral"),
            "idempotency_key": d.idempotency_key,
            "state": d.state,
            "attempts": d.attempts,
            "last_error": d.last_error,
            "created_at": d.created_at,
            "next_attempt_at": d.next_attempt_at,
            "sent_at": d.sent_at,
        }
        for d in page
    ]
    return {"items": items, "count": rows.count()}
