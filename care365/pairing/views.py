"""Pairing: the county admin's proposals (propose, look, lock or forbid, approve), the county's
pairing settings, and on a child's page their team and their guardian's consents.

Children are reached through the access layer only; a proposal's lines are filtered by it too.
Every write is one service call.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from care365.accounts import services as accounts_services
from care365.accounts.access import carer_get_for_admin, carer_get_for_user, child_get_for_user
from care365.accounts.http import account, county_admin, service_errors
from care365.accounts.models import AccessPurpose, User
from care365.accounts.visibility import child_row
from care365.care.selectors.scope import care_settings_get
from care365.carers.models import CarerRole
from care365.core.forms import add_service_errors
from care365.pairing import access, forms, selectors, services
from care365.pairing.models import PairingRun, PairRule
from care365.registry import services as registry_services
from care365.registry.models import Child, ConsentPurpose


@login_required
def pairing_index(request: HttpRequest) -> HttpResponse:
    _user, county = county_admin(request)
    run = selectors.run_latest(county)
    return render(
        request,
        "pairing/index.html",
        {
            "county": county,
            "settings": services.pairing_settings_for(county),
            "coverage": selectors.coverage(county),
            "run": run,
            "plan": selectors.recruitment_plan(run) if run else [],
        },
    )


@login_required
@require_POST
def pairing_propose(request: HttpRequest) -> HttpResponse:
    user, county = county_admin(request)
    run = services.pairing_propose(actor=user, county=county)
    return redirect("pairing:pairing-run", run_id=run.pk)


def _run(user: User, run_id: int) -> PairingRun:
    return access.run_get_for_user(user, run_id)


@login_required
def pairing_run(request: HttpRequest, run_id: int) -> HttpResponse:
    user, _county_area = county_admin(request)
    run = _run(user, run_id)
    form = forms.ProposalFilterForm(request.GET)
    chosen = form.values()
    lines = selectors.run_lines(user, run, outcome=chosen.get("outcome"), role=chosen.get("role"))
    if not chosen.get("outcome"):
        lines = lines.exclude(outcome="kept")
    page = Paginator(lines, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    rules = selectors.rules_for(run, shown)
    rows = [
        {
            "line": line,
            "child": child_row(line.child, user),
            "rule": rules.get((line.child_id, line.role, line.carer_id or 0)),
            "previous_rule": rules.get((line.child_id, line.role, line.previous_id or 0)),
        }
        for line in shown
    ]
    return render(
        request,
        "pairing/run.html",
        {
            "run": run,
            "form": form,
            "page": page,
            "rows": rows,
            "query": urlencode(chosen),
            "here": request.get_full_path(),
            "plan": selectors.recruitment_plan(run),
            "open": run.state == PairingRun.State.PROPOSED,
        },
    )


@login_required
def pairing_approve(request: HttpRequest, run_id: int) -> HttpResponse:
    """A county-wide plan is approved after a confirmation: GET shows what changes (pairs that
    start and end, children left without a carer), POST approves."""
    user, _county_area = county_admin(request)
    run = _run(user, run_id)
    if request.method != "POST":
        if run.state != PairingRun.State.PROPOSED:
            return redirect("pairing:pairing-run", run_id=run.pk)
        summary = selectors.approval_summary(run)
        return render(request, "pairing/approve.html", {"run": run, "summary": summary})
    try:
        services.pairing_approve(actor=user, run=run)
    except ValidationError as exc:
        service_errors(request, exc)
        return redirect("pairing:pairing-run", run_id=run.pk)
    applied = run.figures.get("applied", {})
    messages.success(
        request,
        _("The proposal is approved: %(started)s pairs start, %(ended)s end.")
        % {"started": applied.get("started", 0), "ended": applied.get("ended", 0)},
    )
    if care_settings_get(run.county_id).plans_stale_since is not None:
        messages.info(
            request,
            _(
                "The due lists are being worked out again for the new pairings: they follow "
                "them within a few minutes."
            ),
        )
    return redirect("pairing:pairing")


def _next(request: HttpRequest, fallback: str) -> str:
    target = str(request.POST.get("next") or request.GET.get("next") or "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_required
def pairing_assign(request: HttpRequest, child_id: int, role: str) -> HttpResponse:
    """Assign a named carer of one role to a child by hand (kept like a lock): the nearest
    carers of the county with their load, and, where they are full, a way to raise their
    capacity."""
    user, county = county_admin(request)
    if role not in CarerRole.values:
        raise Http404
    child = child_get_for_user(
        user, child_id, AccessPurpose.EDIT, route="pairing:pairing-assign", allowed=_sets_rules
    )
    back = _next(request, reverse("registry:child-detail", kwargs={"child_id": child.pk}))
    form = forms.AssignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        carer = carer_get_for_user(user, form.cleaned_data["carer"])
        try:
            services.pairing_assign(actor=user, child=child, carer=carer)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s is assigned by hand: later proposals keep the pair.")
                % {"name": carer.name},
            )
            return HttpResponseRedirect(back)
    context = {
        "child": child_row(child, user),
        "role": role,
        "role_label": CarerRole(role).label,
        "form": form,
        "candidates": selectors.assign_candidates(county, child, role),
        "today": selectors.child_pairing_of_role(child, role),
        "back": back,
        "here": request.get_full_path(),
    }
    return render(request, "pairing/assign.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def carer_capacity(request: HttpRequest, carer_id: int) -> HttpResponse:
    """Raise (or set) a carer's capacity from the pairing pages, then back."""
    user, _county_area = county_admin(request)
    carer = carer_get_for_admin(user, carer_id)
    form = forms.CapacityForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    else:
        try:
            accounts_services.carer_update(
                actor=user, carer=carer, values={"capacity": form.cleaned_data["capacity"]}
            )
        except ValidationError as exc:
            service_errors(request, exc)
        else:
            messages.success(
                request,
                _("%(name)s can now take %(n)d children.")
                % {"name": carer.name, "n": carer.capacity},
            )
    return HttpResponseRedirect(_next(request, reverse("pairing:pairing")))


@login_required
def pairing_settings(request: HttpRequest) -> HttpResponse:
    user, county = county_admin(request)
    form = forms.PairingSettingsForm(
        request.POST or None, instance=services.pairing_settings_for(county)
    )
    if request.method == "POST" and form.is_valid():
        services.pairing_settings_update(actor=user, settings_row=form.save(commit=False))
        messages.success(request, _("The pairing settings are saved."))
        return redirect("pairing:pairing")
    status = 400 if form.is_bound else 200
    return render(request, "pairing/settings.html", {"form": form, "county": county}, status=status)


def _sets_rules(user: User, child: Child) -> bool:
    """Locks and forbids are the county administrators' (of the child's county)."""
    return access.county_for_admin(user) is not None


def _back(request: HttpRequest, child_id: int) -> HttpResponseRedirect:
    """Back to the page the form was on (a proposal or the child's page)."""
    target = str(request.POST.get("next", ""))
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return redirect("registry:child-detail", child_id=child_id)


@login_required
@require_POST
def pair_rule_set(request: HttpRequest, child_id: int) -> HttpResponse:
    """Lock or forbid a pair of this child with a carer (county administrators)."""
    user = account(request)
    child = child_get_for_user(
        user, child_id, AccessPurpose.EDIT, route="pairing:pair-rule-set", allowed=_sets_rules
    )
    form = forms.PairRuleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a carer and lock or forbid."))
        return _back(request, child.pk)
    carer = carer_get_for_user(user, form.cleaned_data["carer"])
    try:
        services.pair_rule_set(actor=user, child=child, carer=carer, kind=form.cleaned_data["kind"])
    except ValidationError as exc:
        service_errors(request, exc)
    else:
        if form.cleaned_data["kind"] == PairRule.Kind.LOCK:
            messages.success(request, _("The pair is locked: proposals keep it."))
        else:
            messages.success(request, _("The pair is forbidden: proposals never make it."))
    return _back(request, child.pk)


@login_required
@require_POST
def pair_rule_remove(request: HttpRequest, child_id: int, rule_id: int) -> HttpResponse:
    user = account(request)
    child = child_get_for_user(
        user, child_id, AccessPurpose.EDIT, route="pairing:pair-rule-remove", allowed=_sets_rules
    )
    county = access.county_for_admin(user)
    if county is None:  # checked by the access layer above
        raise PermissionDenied
    rule = selectors.rule_get_for_admin(county, rule_id)
    if rule is None or rule.child_id != child.pk:
        raise Http404
    services.pair_rule_remove(actor=user, rule=rule)
    messages.success(request, _("The rule is removed."))
    return _back(request, child.pk)


@login_required
@require_POST
def consent_record(request: HttpRequest, child_id: int) -> HttpResponse:
    """Record a guardian's written consent to one purpose (registry keepers)."""
    user = account(request)
    child = child_get_for_user(user, child_id, AccessPurpose.EDIT, route="pairing:consent-record")
    form = forms.ConsentForm(request.POST, prefix="consent")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return _back(request, child.pk)
    try:
        registry_services.consent_record(
            actor=user,
            child=child,
            purpose=form.cleaned_data["purpose"],
            given_on=form.cleaned_data["given_on"],
            reference=form.cleaned_data["reference"],
        )
    except ValidationError as exc:
        service_errors(request, exc)
    else:
        messages.success(request, _("The guardian's consent is recorded."))
    return _back(request, child.pk)


@login_required
@require_POST
def consent_withdraw(request: HttpRequest, child_id: int, purpose: str) -> HttpResponse:
    """The guardian withdraws a consent; what depended on it stops at once."""
    user = account(request)
    child = child_get_for_user(user, child_id, AccessPurpose.EDIT, route="pairing:consent-withdraw")
    if purpose not in ConsentPurpose.values:
        raise Http404
    form = forms.ConsentWithdrawForm(request.POST, prefix="withdraw")
    on = form.cleaned_data["on"] if form.is_valid() else None
    try:
        ended = services.consent_withdraw(actor=user, child=child, purpose=purpose, on=on)
    except ValidationError as exc:
        service_errors(request, exc)
    else:
        messages.success(request, _("The consent is withdrawn."))
        if ended:
            messages.info(request, _("The child's volunteer pairing has ended."))
    return _back(request, child.pk)
