"""The pages of an organisation's staff (docs/network.md, "Organisation staff"): the referrals to
their organisation (an inbox, open ones first and the overdue marked; a referral's page with
what it carries; accept, decline with a reason, record what was done and the outcome), their
organisation's record, and the deliveries to its webhook endpoints.

Only members of an organisation's staff (`access.works_for_organisation`) reach these pages:
everyone else is refused (403) before any record is looked up; another organisation's referral
is not found (404), like a missing one. A referral is shown only through
`selectors.staff_referral_view`, and each page that shows it writes an access-log row (the door
`referral_get_for_user`). No child's name or number is ever in an address here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from care365.accounts.http import account
from care365.accounts.models import User
from care365.carers.forms import WebhookDeliveryFilterForm
from care365.network import access, selectors
from care365.network.forms import ReferralDeclineForm, ReferralDoneForm
from care365.network.models import Referral
from care365.network.views import referral_answer

STEPS = ("accept", "decline", "done")


def _staff(request: HttpRequest) -> User:
    """The signed-in member of an organisation's staff; 403 for anyone else."""
    user = account(request)
    if not access.works_for_organisation(user):
        raise PermissionDenied
    return user


def _referral(user: User, referral_id: int, route: str) -> Referral:
    """One referral to the user's organisation (logged); 404 for another organisation's."""
    return access.referral_get_for_user(user, referral_id, route=route)


@login_required
def staff_referral_list(request: HttpRequest) -> HttpResponse:
    """The organisation's referrals: open ones first, the most overdue at the top. The list
    names no child (a referral's page does, and is logged)."""
    user = _staff(request)
    today = timezone.localdate()
    page = Paginator(selectors.staff_referrals(user), settings.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "organisation": access.staff_organisation(user),
        "page": page,
        "rows": [selectors.staff_referral_row(r, today) for r in page.object_list],
        "overdue": selectors.staff_referrals_overdue_count(user, today),
    }
    return render(request, "network/staff_referral_list.html", context)


def _referral_page(
    request: HttpRequest, user: User, referral: Referral, *, status: int = 200, **forms: Any
) -> HttpResponse:
    context = {
        "referral": selectors.staff_referral_view(referral, timezone.localdate()),
        "decline_form": forms.get("decline_form") or ReferralDeclineForm(prefix="decline"),
        "done_form": forms.get("done_form") or ReferralDoneForm(prefix="done"),
    }
    return render(request, "network/staff_referral_detail.html", context, status=status)


@login_required
def staff_referral_detail(request: HttpRequest, referral_id: int) -> HttpResponse:
    user = _staff(request)
    referral = _referral(user, referral_id, "network:staff-referral-detail")
    return _referral_page(request, user, referral)


@login_required
@require_POST
def staff_referral_step(request: HttpRequest, referral_id: int, action: str) -> HttpResponse:
    """The organisation's answer, by its own staff: accept, decline (with a reason), done (what
    was done and the outcome). The referrer is told on their home page."""
    user = _staff(request)
    if action not in STEPS:
        raise Http404
    referral = _referral(user, referral_id, "network:staff-referral-step")
    decline_form, done_form, recorded = referral_answer(request, user, referral, action)
    if recorded is None:
        return _referral_page(
            request, user, referral, status=400, decline_form=decline_form, done_form=done_form
        )
    if recorded:
        messages.success(request, _("Your answer is recorded: the referrer is told."))
    return redirect("network:staff-referral-detail", referral_id=referral.pk)


@login_required
def staff_organisation(request: HttpRequest) -> HttpResponse:
    """The organisation's own record as the county keeps it (its administrators change it)."""
    user = _staff(request)
    organisation = access.staff_organisation(user)
    if organisation is None:  # cannot happen: a member of its staff has one
        raise Http404
    context = {
        "organisation": organisation,
        "has_webhooks": selectors.staff_webhook_delivery_list(user).exists(),
    }
    return render(request, "network/staff_organisation.html", context)


@login_required
def staff_webhook_deliveries(request: HttpRequest) -> HttpResponse:
    """The deliveries to the organisation's own webhook endpoints, newest first, by state."""
    user = _staff(request)
    form = WebhookDeliveryFilterForm(request.GET)
    values = form.values()
    rows = selectors.staff_webhook_delivery_list(user, state=values.get("state", ""))
    page = Paginator(rows, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "query": urlencode(values),
        "organisation": access.staff_organisation(user),
    }
    return render(request, "network/staff_webhook_deliveries.html", context)
