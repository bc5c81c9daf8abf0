"""Carers: police officers, doctors and volunteers, as the access layer lets a user see them."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from care365.accounts import services
from care365.accounts.access import (
    administers_county,
    carer_get_for_admin,
    carer_get_for_user,
    may_propose_volunteers,
    organisation_get_for_admin,
    organisations_for_user,
)
from care365.accounts.http import account, county_admin
from care365.accounts.models import User
from care365.accounts.selectors import carer_list
from care365.carers import forms
from care365.carers.models import CarerRole, Organisation
from care365.core.errors import StateConflictError
from care365.core.forms import add_service_errors
from care365.pairing import selectors as pairing_selectors
from care365.pairing import services as pairing_services
from care365.protection import selectors as protection_selectors
from care365.protection import services as protection_services
from care365.protection.access import webhook_endpoint_get_for_admin
from care365.protection.models import WebhookEndpoint


@login_required
def carer_list_view(request: HttpRequest) -> HttpResponse:
    user = account(request)
    form = forms.CarerFilterForm(request.GET, user=user)
    values = form.values()
    carers = carer_list(
        user, role=values.get("role"), area=values.get("area"), q=values.get("q", "")
    )
    page = Paginator(carers, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode(values)
    context = {
        "form": form,
        "page": page,
        "query": query,
        "adds": may_propose_volunteers(user),
        "administers": administers_county(user),
    }
    return render(request, "carers/list.html", context)


@login_required
def carer_detail(request: HttpRequest, carer_id: int) -> HttpResponse:
    user = account(request)
    carer = carer_get_for_user(user, carer_id)
    context = {
        "carer": carer,
        "administers": administers_county(user),
        "load": pairing_selectors.carer_load(carer) if administers_county(user) else None,
    }
    return render(request, "carers/detail.html", context)


# The county's carers and organisations, kept by its administrator (a supervisor or a director
# may propose a volunteer). --------------------------------------------------------------------


def _role(request: HttpRequest, user: User) -> str:
    """The role of the carer being added: ?role=...; a volunteer for those who may only
    propose volunteers."""
    wanted = str(request.GET.get("role") or request.POST.get("role") or "")
    if not administers_county(user):
        if not may_propose_volunteers(user):
            raise PermissionDenied
        return CarerRole.VOLUNTEER
    return wanted if wanted in CarerRole.values else CarerRole.POLICE


@login_required
def carer_add(request: HttpRequest) -> HttpResponse:
    user = account(request)
    role = _role(request, user)
    form = forms.CarerForm(request.POST or None, user=user, role=role)
    if request.method == "POST" and form.is_valid():
        try:
            carer = services.carer_create(actor=user, role=role, values=form.values())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The carer is added."))
            if not administers_county(user):
                messages.info(
                    request,
                    _(
                        "A county administrator records the background check and the training "
                        "before the volunteer is paired with children."
                    ),
                )
            return redirect("carers:carer-detail", carer_id=carer.pk)
    context = {
        "form": form,
        "role": role,
        "roles": CarerRole.choices if administers_county(user) else [],
        "title": _("Add a carer"),
    }
    return render(request, "carers/carer_form.html", context, status=400 if form.errors else 200)


@login_required
def carer_edit(request: HttpRequest, carer_id: int) -> HttpResponse:
    user = account(request)
    carer = carer_get_for_admin(user, carer_id)
    initial = {
        "name": carer.name,
        "sex": carer.sex,
        "phone": carer.phone,
        "organisation": carer.organisation_id,
        "capacity": carer.capacity,
        "service_areas": list(carer.service_areas.all()),
        "skills": carer.skills,
        "languages": carer.languages,
        "latitude": carer.latitude,
        "longitude": carer.longitude,
    }
    form = forms.CarerForm(request.POST or None, initial=initial, user=user, role=carer.role)
    if request.method == "POST" and form.is_valid():
        try:
            services.carer_update(actor=user, carer=carer, values=form.values())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The carer is saved."))
            return redirect("carers:carer-detail", carer_id=carer.pk)
    context = {"form": form, "carer": carer, "title": _("Edit %(name)s") % {"name": carer.name}}
    return render(request, "carers/carer_form.html", context, status=400 if form.errors else 200)


@login_required
def carer_vet(request: HttpRequest, carer_id: int) -> HttpResponse:
    """The background check and the training, on their own form (county administrators)."""
    user = account(request)
    carer = carer_get_for_admin(user, carer_id)
    form = forms.CarerVetForm(
        request.POST or None,
        initial={
            "background_check": carer.background_check,
            "background_checked_on": carer.background_checked_on,
            "trained_on": carer.trained_on,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.carer_vet(actor=user, carer=carer, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The vetting is recorded."))
            return redirect("carers:carer-detail", carer_id=carer.pk)
    context = {
        "form": form,
        "title": _("Vetting of %(name)s") % {"name": carer.name},
        "lead": _(
            "A volunteer is paired with children only after a passed background check that is "
            "still valid under the county's pairing settings, and after the training."
        ),
        "submit": _("Save"),
        "cancel": reverse("carers:carer-detail", kwargs={"carer_id": carer.pk}),
    }
    return render(request, "web/form_page.html", context, status=400 if form.errors else 200)


@login_required
def carer_deactivate(request: HttpRequest, carer_id: int) -> HttpResponse:
    """Confirm, then deactivate: the carer's pairings end and their children become gaps that
    the next pairing run fills."""
    user = account(request)
    carer = carer_get_for_admin(user, carer_id)
    if request.method == "POST":
        ended = pairing_services.carer_deactivate(actor=user, carer=carer)
        messages.success(
            request,
            ngettext(
                "%(name)s is deactivated; %(count)d pairing ended.",
                "%(name)s is deactivated; %(count)d pairings ended.",
                ended,
            )
            % {"name": carer.name, "count": ended},
        )
        return redirect("carers:carer-detail", carer_id=carer.pk)
    context = {"carer": carer, "children": pairing_selectors.carer_load(carer)}
    return render(request, "carers/deactivate.html", context)


@login_required
@require_POST
def carer_reactivate(request: HttpRequest, carer_id: int) -> HttpResponse:
    user = account(request)
    carer = carer_get_for_admin(user, carer_id)
    if pairing_services.carer_reactivate(actor=user, carer=carer):
        messages.success(request, _("%(name)s is active again.") % {"name": carer.name})
    return redirect("carers:carer-detail", carer_id=carer.pk)


@login_required
def organisation_list(request: HttpRequest) -> HttpResponse:
    user, county = county_admin(request)
    rows = organisations_for_user(user).select_related("area").order_by("kind", "name")
    page = Paginator(rows, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "carers/organisations.html", {"page": page, "county": county})


@login_required
def organisation_add(request: HttpRequest) -> HttpResponse:
    user, county = county_admin(request)
    form = forms.OrganisationForm(request.POST or None, county=county)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_create(actor=user, values=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The organisation is added."))
            return redirect("carers:organisation-list")
    context = {
        "form": form,
        "title": _("Add an organisation"),
        "lead": _(
            "A police station, a township health centre, a village clinic or a volunteer "
            "group. Its duty phone is who families and the county call."
        ),
        "submit": _("Add"),
        "cancel": reverse("carers:organisation-list"),
    }
    return render(request, "web/form_page.html", context, status=400 if form.errors else 200)


@login_required
def organisation_edit(request: HttpRequest, organisation_id: int) -> HttpResponse:
    user, county = county_admin(request)
    organisation = organisation_get_for_admin(user, organisation_id)
    initial = {
        "kind": organisation.kind,
        "name": organisation.name,
        "area": organisation.area_id,
        "phone": organisation.phone,
        "contact_name": organisation.contact_name,
        "contact_phone": organisation.contact_phone,
        "contact_email": organisation.contact_email,
        "services": organisation.services,
    }
    form = forms.OrganisationForm(request.POST or None, initial=initial, county=county)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update(
                actor=user, organisation=organisation, values=form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The organisation is saved."))
            return redirect("carers:organisation-list")
    context = {
        "form": form,
        "title": _("Edit %(name)s") % {"name": organisation.name},
        "links": [
            (
                reverse("carers:organisation-webhooks", args=[organisation.pk]),
                _("Webhooks"),
            )
        ],
        "submit": _("Save"),
        "cancel": reverse("carers:organisation-list"),
    }
    return render(request, "web/form_page.html", context, status=400 if form.errors else 200)


# An organisation's webhook endpoints and the county's deliveries (docs/network.md, "Webhooks").
# A new or rotated secret is shown once, on the answer to the POST that made it; the page is not
# cached and the secret is never put in an address or a message.


def _webhooks_page(
    request: HttpRequest,
    user: User,
    organisation: Organisation,
    *,
    form: forms.WebhookEndpointForm | None = None,
    secret: str = "",
    secret_for: WebhookEndpoint | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "organisation": organisation,
        "endpoints": protection_selectors.webhook_endpoints_of(user, organisation),
        "form": form or forms.WebhookEndpointForm(),
        "secret": secret,
        "secret_for": secret_for,
    }
    response = render(request, "carers/webhooks.html", context, status=status)
    add_never_cache_headers(response)
    return response


@login_required
def organisation_webhooks(request: HttpRequest, organisation_id: int) -> HttpResponse:
    """An organisation's endpoints; POST adds one and shows its secret once."""
    user, _county = county_admin(request)
    organisation = organisation_get_for_admin(user, organisation_id)
    if request.method != "POST":
        return _webhooks_page(request, user, organisation)
    form = forms.WebhookEndpointForm(request.POST)
    if form.is_valid():
        try:
            endpoint, secret = protection_services.webhook_endpoint_create(
                actor=user, organisation=organisation, url=form.cleaned_data["url"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The endpoint is added."))
            return _webhooks_page(request, user, organisation, secret=secret, secret_for=endpoint)
    return _webhooks_page(request, user, organisation, form=form, status=400)


@login_required
@require_POST
def webhook_rotate(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    """A new secret for the endpoint, shown once; the old one stops signing at once."""
    user, _county = county_admin(request)
    endpoint = webhook_endpoint_get_for_admin(user, endpoint_id)
    try:
        secret = protection_services.webhook_endpoint_rotate(actor=user, endpoint=endpoint)
    except StateConflictError as exc:
        messages.error(request, str(exc))
        return redirect("carers:organisation-webhooks", organisation_id=endpoint.organisation_id)
    messages.success(request, _("The endpoint has a new secret."))
    return _webhooks_page(request, user, endpoint.organisation, secret=secret, secret_for=endpoint)


@login_required
@require_POST
def webhook_deactivate(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    user, _county = county_admin(request)
    endpoint = webhook_endpoint_get_for_admin(user, endpoint_id)
    if protection_services.webhook_endpoint_deactivate(actor=user, endpoint=endpoint):
        messages.success(request, _("The endpoint is deactivated: it is sent nothing more."))
    return redirect("carers:organisation-webhooks", organisation_id=endpoint.organisation_id)


@login_required
def webhook_deliveries(request: HttpRequest) -> HttpResponse:
    """The county's webhook deliveries, newest first, by state."""
    user, county = county_admin(request)
    form = forms.WebhookDeliveryFilterForm(request.GET)
    values = form.values()
    rows = protection_selectors.webhook_delivery_list(user, state=values.get("state", ""))
    page = Paginator(rows, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "query": urlencode(values), "county": county}
    return render(request, "carers/webhook_deliveries.html", context)
