"""Instant protection pages: raise an alert from a child's page, the alert and its safety card for
responders (acknowledge, on my way, with the child, resolve), the live board of open alerts,
response times, the county's escalation policy, and the guardian's one-button help page.

Children and alerts are reached through the access layer and protection's selectors; every write
is one protection service. The help page needs no sign-in: its address is the secret.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from care365.accounts.access import child_get_for_user, county_of_user, oversees_area
from care365.accounts.http import account, service_errors
from care365.accounts.models import AccessPurpose, User
from care365.core import forms as core_forms
from care365.protection import access, selectors, services
from care365.protection import forms as protection_forms
from care365.protection.models import Alert
from care365.protection.services import AlertStateError, HelpLinkNotFound

# The board lists the alerts resolved this long ago, with their outcome and note.
RECENTLY_RESOLVED = timedelta(days=7)

ACTIONS = {
    "acknowledge": services.alert_acknowledge,
    "on-the-way": services.alert_on_the_way,
    "with-child": services.alert_with_child,
}


@login_required
@require_POST
def alert_raise(request: HttpRequest, child_id: int) -> HttpResponse:
    """Raise an alert for a child one sees: it reaches the assigned officer at once."""
    user = account(request)
    child = child_get_for_user(
        user,
        child_id,
        AccessPurpose.VIEW,
        route="protection:alert-raise",
        allowed=access.may_raise_alert,
    )
    form = protection_forms.AlertRaiseForm(request.POST, prefix="alert")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("registry:child-detail", child_id=child.pk)
    try:
        alert = services.alert_raise(
            actor=user, child=child, kind=form.cleaned_data["kind"], note=form.cleaned_data["note"]
        )
    except ValidationError as exc:
        service_errors(request, exc)
        return redirect("registry:child-detail", child_id=child.pk)
    if alert.told is not None:
        messages.success(request, alert.told.message())
    return redirect("protection:alert-detail", alert_id=alert.pk)


def _alert(user: User, alert_id: int) -> Alert:
    return access.alert_get_for_user(user, alert_id, route="protection:alert-detail")


@login_required
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    user = account(request)
    alert = _alert(user, alert_id)
    responder = access.can_respond(user, alert)
    answerer = access.can_answer(user, alert)
    return render(
        request,
        "protection/alert.html",
        {
            "alert": alert,
            "responder": responder,
            "answerer": answerer,
            "own": alert.raised_by_id == user.pk,
            "card": selectors.safety_card(alert) if responder else None,
            "timeline": selectors.alert_timeline(user, alert),
            "reporter": selectors.alert_reporter_for_user(user, alert),
            "resolve_form": protection_forms.AlertResolveForm() if answerer else None,
        },
    )


@login_required
@require_POST
def alert_act(request: HttpRequest, alert_id: int, action: str) -> HttpResponse:
    """Acknowledge, "on my way", "with the child" or resolve: each step is timestamped."""
    user = account(request)
    alert = _alert(user, alert_id)
    if not access.can_answer(user, alert):
        raise PermissionDenied
    try:
        if action == "resolve":
            form = protection_forms.AlertResolveForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Choose how the alert was resolved."))
                return redirect("protection:alert-detail", alert_id=alert.pk)
            services.alert_resolve(
                actor=user,
                alert=alert,
                resolution=form.cleaned_data["resolution"],
                note=form.cleaned_data["note"],
            )
        elif action in ACTIONS:
            ACTIONS[action](actor=user, alert=alert, note=str(request.POST.get("note", ""))[:500])
        else:
            raise Http404
    except AlertStateError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        service_errors(request, exc)
    return redirect("protection:alert-detail", alert_id=alert.pk)


@login_required
def alert_board(request: HttpRequest) -> HttpResponse:
    """Open alerts the user may see, newest first, and whether the worker is sweeping."""
    user = account(request)
    if not access.sees_alert_board(user):
        raise PermissionDenied
    alerts = list(selectors.alerts_open_for_user(user)[:200])
    resolved = list(
        selectors.alerts_resolved_for_user(user, since=timezone.now() - RECENTLY_RESOLVED)[:50]
    )
    return render(
        request,
        "protection/board.html",
        {
            "alerts": selectors.alert_rows(user, alerts),
            "sweeper_healthy": selectors.sweeper_healthy(),
            "sweeper_last_seen": selectors.sweeper_last_seen(),
            "tasks": selectors.follow_up_rows(user, list(selectors.follow_ups_for_user(user)[:50])),
            "resolved": selectors.alert_rows(user, resolved),
        },
    )


@login_required
def alert_response_times(request: HttpRequest) -> HttpResponse:
    user = account(request)
    county = county_of_user(user)
    if not oversees_area(user) or county is None:
        raise PermissionDenied
    times = selectors.response_times(county)
    sections = [
        (_("The county"), [(county.name, times.overall)]),
        (_("By township"), [(area.name, f) for area, f in times.by_township]),
        (_("By officer"), [(carer.name, f) for carer, f in times.by_officer]),
    ]
    return render(
        request,
        "protection/response_times.html",
        {"sections": sections, "county": county},
    )


@login_required
def escalation_policy(request: HttpRequest) -> HttpResponse:
    """The county administrator edits who is told at each step, after how long, how."""
    user = account(request)
    county = access.policy_county(user)
    if county is None:
        raise PermissionDenied
    current = selectors.escalation_policy_get(county)
    form = protection_forms.EscalationPolicyForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.escalation_policy_update(actor=user, county=county, **form.policy())
        except ValidationError as exc:
            core_forms.add_service_errors(form, exc)
        else:
            messages.success(request, _("The escalation policy is saved."))
            return redirect("protection:escalation-policy")
    status = 400 if form.is_bound else 200
    return render(
        request, "protection/policy.html", {"form": form, "county": county}, status=status
    )


@login_required
def help_card(request: HttpRequest, child_id: int) -> HttpResponse:
    """The family's help card: a QR code of the child's secret help address, to print and put
    on the wall. Registry staff issue it (a new one revokes the old)."""
    user = account(request)
    child = child_get_for_user(user, child_id, AccessPurpose.EDIT, route="protection:help-card")
    token = None
    if request.method == "POST":
        _link, token = services.help_link_issue(actor=user, child=child)
    link = selectors.help_link_for_child(child)
    url = request.build_absolute_uri(f"/h/{token}/") if token else None
    return render(
        request,
        "protection/help_card.html",
        {"child_id": child.pk, "link": link, "url": url, "qr": _qr_svg(url) if url else ""},
    )


def _qr_svg(url: str) -> str:
    import segno

    return str(segno.make(url, error="m").svg_inline(scale=6, border=2, dark="#111"))


@csrf_exempt
@never_cache
def help_page(request: HttpRequest, token: str) -> HttpResponse:
    """The guardian's one-button page: works on any phone, without signing in.

    Exempt from Django's CSRF check, on purpose. CSRF protects a request that rides on a cookie
    the browser adds by itself; this page uses no cookie and no session: the secret token in its
    address is the whole credential, so a forged press needs the token, and whoever has it can
    press anyway. The check only got in the way: a guardian's cheap phone with cookies blocked
    (or a page left open past the cookie) had its SOS refused, and the refusal logged the
    address, token included. Presses are folded and rate-limited by the service instead."""
    link = selectors.help_link_find(token)
    if link is None:
        return render(request, "protection/help_gone.html", status=404)
    context: dict[str, Any] = {"token": token}
    if request.method == "POST":
        try:
            services.alert_raise_from_help_link(
                token=token, note=str(request.POST.get("note", ""))[:500]
            )
        except HelpLinkNotFound:
            return render(request, "protection/help_gone.html", status=404)
        return render(request, "protection/help_sent.html", context)
    return render(request, "protection/help.html", context)
