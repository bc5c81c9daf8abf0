"""Children: list, search, detail, and the registry's writes (register, edit, exit, statuses,
a parent's return, possible duplicates).

Every child is reached through the access layer and rendered through `visibility`; every write
is one service call. A child's name or ID number never appears in a URL: the search text is
posted and kept in the session, and the list's URL carries only the filters.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from care365.accounts.access import (
    can_register_in,
    child_get_for_user,
    children_for_user,
    decides_transfers,
    duplicate_flag_get_for_user,
    keeps_registry,
    may_export_record,
    may_reveal_id,
    needs_break_glass,
)
from care365.accounts.http import account, registry_keeper, service_errors
from care365.accounts.lookups import child_confirm_id as child_confirm_id_service
from care365.accounts.lookups import looks_like_id_number, may_look_up_id_numbers
from care365.accounts.models import AccessPurpose, User
from care365.accounts.paginators import CappedPaginator
from care365.accounts.selectors import ChildFilters, child_list, transfer_requests_for_county
from care365.accounts.services import id_number_probes_recorded
from care365.accounts.visibility import child_row, child_view, param_refused_message
from care365.care.records import child_record
from care365.care.views import child_care_context
from care365.carers.models import CarerRole
from care365.core import crypto
from care365.core import forms as core_forms
from care365.core.errors import NotFound
from care365.core.forms import MAX_SEARCH
from care365.network.views import child_network_context
from care365.network.views_schools import child_school_context
from care365.pairing import access
from care365.pairing import forms as pairing_forms
from care365.pairing import selectors as pairing_selectors
from care365.protection import forms as protection_forms
from care365.protection import selectors as protection_selectors
from care365.protection.access import may_raise_alert
from care365.registry import forms, idnumber, services
from care365.registry.models import Child, ConsentPurpose, DuplicateFlag, ParentRole
from care365.registry.selectors import status_open_get
from care365.registry.services import transfer_request_decide

# The search text (a name or an ID number) is kept in the session encrypted like the registry's
# fields (core.crypto): sessions are stored in the database, and a search is as sensitive as
# what it names.
SEARCH_SESSION_KEY = "child_search"
# The children a search by ID number found, kept with the number's keyed hash: showing the
# list again (the menu, a filter, a page, the language) is not another look-up against the
# hourly limit. A new search (child_search) drops it, so typing the number again looks again.
ID_SEARCH_SESSION_KEY = "child_id_search"


def _filters(form: forms.ChildFilterForm, q: str) -> ChildFilters:
    v = form.values()
    return ChildFilters(
        area=v.get("area"),
        status=v.get("status"),
        age_min=v.get("age_min"),
        age_max=v.get("age_max"),
        sex=v.get("sex"),
        q=q,
        include_exited=bool(v.get("exited")),
    )


def _search_text(request: HttpRequest) -> str:
    sealed = str(request.session.get(SEARCH_SESSION_KEY, ""))
    try:
        return crypto.decrypt(sealed) if sealed else ""
    except (crypto.DecryptionError, UnicodeEncodeError):  # sealed under a retired key, or old
        return ""


@login_required
def child_list_view(request: HttpRequest) -> HttpResponse:
    user = account(request)
    q = _search_text(request)
    form = forms.ChildSearchForm(request.GET, user=user, initial={"q": q})
    filters = _filters(form, q)
    refusals: list[str] = []
    if form.refused:
        # A hand-made URL with a filter the role may not use: refused, not quietly dropped.
        refusals.append(param_refused_message())
        children = children_for_user(user).none()
    else:
        try:
            children = _children_searched(request, user, filters)
        except ValidationError as exc:
            refusals.extend(exc.messages)
            children = children_for_user(user).none()
    paginator = CappedPaginator(children, settings.PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = form.query()
    teams = pairing_selectors.teams_of(page.object_list)  # one query for the page
    return render(
        request,
        "registry/list.html",
        {
            "form": form,
            "q": q,
            "page": page,
            "rows": [child_row(c, user, team=teams[c.pk]) for c in page.object_list],
            "query": urlencode(query),
            "can_register": keeps_registry(user),
            "can_break_glass": needs_break_glass(user),
            "refusals": refusals,
        },
        status=400 if refusals else 200,
    )


def _children_searched(request: HttpRequest, user: User, filters: ChildFilters) -> Any:
    """The list for these filters; a search by ID number is looked up once per search typed
    (see ID_SEARCH_SESSION_KEY), then the children it found are narrowed by the filters within
    the user's scope like any list."""
    if not (filters.q and looks_like_id_number(filters.q)):
        return child_list(user, filters, route="registry:child-list")
    number = crypto.lookup_hash(idnumber.normalise(filters.q))
    done = request.session.get(ID_SEARCH_SESSION_KEY)
    if isinstance(done, dict) and done.get("number") == number:
        found = [int(pk) for pk in done.get("found", [])]
        unsearched = dataclasses.replace(filters, q="")
        return child_list(user, unsearched, route="registry:child-list").filter(pk__in=found)
    children = child_list(user, filters, route="registry:child-list")
    request.session[ID_SEARCH_SESSION_KEY] = {
        "number": number,
        "found": list(children.values_list("pk", flat=True)),
    }
    return children


@login_required
def child_search(request: HttpRequest) -> HttpResponse:
    """Keep the search text in the session, then show the list with the filters in its URL.

    A GET (a sign-in that came back here) just shows the list."""
    user = account(request)
    if request.method != "POST":
        return redirect("registry:child-list")
    form = forms.ChildSearchForm(request.POST, user=user)
    form.is_valid()
    request.session.pop(ID_SEARCH_SESSION_KEY, None)
    if "clear" in request.POST:
        request.session.pop(SEARCH_SESSION_KEY, None)
    else:
        q = str(request.POST.get("q", "")).strip()[:MAX_SEARCH]
        request.session[SEARCH_SESSION_KEY] = crypto.encrypt(q) if q else ""
    query = form.query()
    return redirect(reverse("registry:child-list") + (f"?{urlencode(query)}" if query else ""))


def _detail_context(request: HttpRequest, user: User, child: Child, **extra: Any) -> dict[str, Any]:
    view = child_view(child, user, reveal_id=extra.pop("reveal_id", False))
    keeper = keeps_registry(user) and child.is_active
    context: dict[str, Any] = {
        "child": view,
        "keeper": keeper,
        "is_admin": may_reveal_id(user),
    }
    if keeper:
        open_kinds = {s["kind"] for s in view.data.get("statuses", []) if not s["ended_on"]}
        context["status_add_form"] = forms.StatusAddForm(
            initial={}, prefix="add", auto_id="id_add_%s"
        )
        context["status_end_form"] = forms.StatusEndForm(prefix="end", auto_id="id_end_%s")
        context["open_kinds"] = open_kinds
        context["return_form"] = forms.ParentReturnForm(prefix="ret", auto_id="id_ret_%s")
    context["team"] = pairing_selectors.child_team(child)
    context["open_alerts"] = protection_selectors.child_open_alerts(user, child)
    if may_raise_alert(user, child) and child.is_active:
        context["alert_form"] = protection_forms.AlertRaiseForm(prefix="alert")
    if keeps_registry(user):
        context["consents"] = pairing_selectors.child_consents(child)
        if keeper:
            # `?consent=<purpose>` (the link of a page that needs that consent) opens the form
            # on that purpose.
            wanted = request.GET.get("consent", "")
            context["consent_open"] = wanted in ConsentPurpose.values
            context["consent_form"] = pairing_forms.ConsentForm(
                prefix="consent",
                initial={"purpose": wanted} if context["consent_open"] else None,
            )
            context["withdraw_form"] = pairing_forms.ConsentWithdrawForm(prefix="withdraw")
    if access.county_for_admin(user) is not None:
        context["pair_rules"] = pairing_selectors.child_rules(child)
        context["assign_roles"] = CarerRole.choices
    if may_reveal_id(user) and "reveal_form" not in extra:
        context["reveal_form"] = forms.RevealIdForm()
    if may_export_record(user, child) and "export_form" not in extra:
        context["export_form"] = forms.ExportForm(prefix="export")
    if may_look_up_id_numbers(user) and "confirm_form" not in extra:
        context["confirm_form"] = forms.ConfirmIdForm(prefix="confirm")
    context.update(child_care_context(user, child))
    context.update(child_network_context(user, child))
    context.update(child_school_context(user, child))
    context.update(extra)
    return context


@login_required
def child_detail(request: HttpRequest, child_id: int) -> HttpResponse:
    user = account(request)
    child = child_get_for_user(user, child_id, AccessPurpose.VIEW, route="registry:child-detail")
    return render(request, "registry/detail.html", _detail_context(request, user, child))


@login_required
@require_POST
def child_reveal_id(request: HttpRequest, child_id: int) -> HttpResponse:
    """A county admin sees the full ID number after giving a reason, which is logged.

    The number is rendered in this POST's response only: it never travels in a URL."""
    user = account(request)
    form = forms.RevealIdForm(request.POST)
    if not form.is_valid():
        # Still a logged read of the record: the page is shown again with the error.
        child = child_get_for_user(
            user, child_id, AccessPurpose.VIEW, route="registry:child-detail"
        )
        context = _detail_context(request, user, child, reveal_form=form)
        return render(request, "registry/detail.html", context, status=400)
    child = child_get_for_user(
        user,
        child_id,
        AccessPurpose.REVEAL_ID,
        route="registry:child-reveal-id",
        reason=form.cleaned_data["reason"],
    )
    context = _detail_context(request, user, child, reveal_id=True, revealed=True)
    return render(request, "registry/detail.html", context)


@login_required
@require_POST
def child_confirm_id(request: HttpRequest, child_id: int) -> HttpResponse:
    """Check a typed ID number against the child's record: the page says match or no match,
    never the number. Written to the child's access log with the reason; throttled."""
    user = account(request)
    if not may_look_up_id_numbers(user):
        raise PermissionDenied
    form = forms.ConfirmIdForm(request.POST, prefix="confirm")
    match: bool | None = None
    if form.is_valid():
        try:
            match = child_confirm_id_service(
                user,
                child_id,
                form.cleaned_data["id_number"],
                reason=form.cleaned_data["reason"],
                route="registry:child-confirm-id",
            )
        except ValidationError as exc:
            core_forms.add_service_errors(form, exc)
    child = child_get_for_user(user, child_id, AccessPurpose.VIEW, route="registry:child-detail")
    context = _detail_context(request, user, child, confirm_form=form, confirmed=match)
    if match is None:
        return render(request, "registry/detail.html", context, status=400)
    # A fresh form for the next check: the number typed is not sent back to the browser.
    context["confirm_form"] = forms.ConfirmIdForm(prefix="confirm")
    return render(request, "registry/detail.html", context)


def _to_detail(child_id: int) -> HttpResponseRedirect:
    return redirect("registry:child-detail", child_id=child_id)


@login_required
def child_register(request: HttpRequest) -> HttpResponse:
    user = registry_keeper(request)
    form = forms.ChildForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        registration = form.registration()
        village = registration.child["village"]
        if not can_register_in(user, village):
            form.add_error("village", _("You cannot register children in this village."))
        else:
            try:
                with id_number_probes_recorded(
                    user, village=village, route="registry:child-register"
                ):
                    child = services.child_register(actor=user, data=registration)
            except ValidationError as exc:
                core_forms.add_service_errors(form, exc)
            else:
                messages.success(request, _("The child is registered."))
                if child.duplicate_flags.filter(resolution=DuplicateFlag.Resolution.OPEN).exists():
                    messages.warning(
                        request,
                        _(
                            "A child with the same name, birth date and village is already "
                            "registered. Check on the home page whether they are the same child."
                        ),
                    )
                return _to_detail(child.pk)
    status = 400 if form.is_bound else 200
    return render(request, "registry/form.html", {"form": form, "editing": False}, status=status)


@login_required
def child_edit(request: HttpRequest, child_id: int) -> HttpResponse:
    user = account(request)
    child = child_get_for_user(user, child_id, AccessPurpose.EDIT, route="registry:child-edit")
    if not child.is_active:
        raise NotFound
    form = forms.ChildForm(request.POST or None, user=user, child=child)
    if request.method == "POST" and form.is_valid():
        values = form.child_values()
        if not can_register_in(user, values["village"]):
            form.add_error("village", _("You cannot register children in this village."))
        else:
            try:
                with id_number_probes_recorded(
                    user, village=values["village"], route="registry:child-edit"
                ):
                    services.child_update(
                        actor=user,
                        child=child,
                        values=values,
                        parents=form.parents(),
                        guardian=form.guardian(),
                    )
            except ValidationError as exc:
                core_forms.add_service_errors(form, exc)
            else:
                messages.success(request, _("The changes are saved."))
                return _to_detail(child.pk)
    status = 400 if form.is_bound else 200
    return render(
        request,
        "registry/form.html",
        {"form": form, "editing": True, "child": child_row(child, user)},
        status=status,
    )


@login_required
def child_exit(request: HttpRequest, child_id: int) -> HttpResponse:
    user = account(request)
    child = child_get_for_user(user, child_id, AccessPurpose.EXIT, route="registry:child-exit")
    if not child.is_active:
        raise NotFound
    form = forms.ExitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.child_exit(
                actor=user,
                child=child,
                reason=form.cleaned_data["reason"],
                on=form.cleaned_data["on"],
            )
        except ValidationError as exc:
            core_forms.add_service_errors(form, exc)
        else:
            messages.success(request, _("The child has left the registry."))
            return _to_detail(child.pk)
    status = 400 if form.is_bound else 200
    return render(
        request,
        "registry/exit.html",
        {"form": form, "child": child_row(child, user)},
        status=status,
    )


def _action_failed(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@login_required
@require_POST
def status_add(request: HttpRequest, child_id: int) -> HttpResponse:
    user = account(request)
    child = child_get_for_user(user, child_id, AccessPurpose.EDIT, route="registry:status-add")
    form = forms.StatusAddForm(request.POST, prefix="add")
    if not form.is_valid():
        _action_failed(request, ValidationError(list(form.errors.values())))
        return _to_detail(child.pk)
    try:
        services.status_add(
            actor=user,
            child=child,
            kind=form.cleaned_data["kind"],
            started_on=form.cleaned_data["started_on"],
        )
    except ValidationError as exc:
        _action_failed(request, exc)
    else:
        messages.success(request, _("The status is added."))
    return _to_detail(child.pk)


@login_required
@require_POST
def status_end(request: HttpRequest, child_id: int, kind: str) -> HttpResponse:
    user = account(request)
    child = child_get_for_user(user, child_id, AccessPurpose.EDIT, route="registry:status-end")
    status = status_open_get(child, kind)
    form = forms.StatusEndForm(request.POST, prefix="end")
    if not form.is_valid():
        _action_failed(request, ValidationError(list(form.errors.values())))
        return _to_detail(child.pk)
    try:
        services.status_end(
            actor=user,
            status=status,
            reason=form.cleaned_data["reason"],
            on=form.cleaned_data["on"],
        )
    except ValidationError as exc:
        _action_failed(request, exc)
    else:
        messages.success(request, _("The status is ended."))
    return _to_detail(child.pk)


@login_required
@require_POST
def parent_return(request: HttpRequest, child_id: int, role: str) -> HttpResponse:
    user = account(request)
    child = child_get_for_user(user, child_id, AccessPurpose.EDIT, route="registry:parent-return")
    if role not in ParentRole.values:
        raise Http404
    form = forms.ParentReturnForm(request.POST, prefix="ret")
    on = form.cleaned_data.get("on") if form.is_valid() else None
    try:
        services.parent_return(actor=user, child=child, role=role, on=on)
    except ValidationError as exc:
        _action_failed(request, exc)
    else:
        messages.success(request, _("The parent's return is recorded."))
    return _to_detail(child.pk)


@login_required
@require_POST
def duplicate_resolve(request: HttpRequest, flag_id: int) -> HttpResponse:
    """Confirm two flagged records are different children, or merge them."""
    user = account(request)
    flag = duplicate_flag_get_for_user(user, flag_id)
    for child_pk in (flag.child_id, flag.other_id):
        child_get_for_user(
            user, child_pk, AccessPurpose.DUPLICATE, route="registry:duplicate-resolve"
        )
    form = forms.DuplicateResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a resolution."))
        return redirect("web:home")
    try:
        services.duplicate_resolve(
            actor=user, flag=flag, resolution=form.cleaned_data["resolution"]
        )
    except ValidationError as exc:
        _action_failed(request, exc)
    else:
        messages.success(request, _("The possible duplicate is resolved."))
    return redirect("web:home")


@login_required
@require_POST
def child_export(request: HttpRequest, child_id: int) -> HttpResponse:
    """The child's whole record as a JSON file, for a guardian's access request (county
    administrators), with a reason. The export is written to the access log with the reason;
    the file name carries no name."""
    user = account(request)
    form = forms.ExportForm(request.POST, prefix="export")
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        # A user who may not export is refused (and logged as refused) before the reason counts.
        child = child_get_for_user(
            user,
            child_id,
            AccessPurpose.EXPORT,
            route="registry:child-export",
            reason=reason,
            allowed=may_export_record,
        )
    except ValidationError:
        # No reason, no export: the page again with the error (a logged read of the record).
        child = child_get_for_user(
            user, child_id, AccessPurpose.VIEW, route="registry:child-detail"
        )
        context = _detail_context(request, user, child, export_form=form)
        return render(request, "registry/detail.html", context, status=400)
    response = JsonResponse(child_record(user, child), json_dumps_params={"ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="care365-child-{child.pk}.json"'
    response["Cache-Control"] = "no-store"
    return response


# --- transfer requests ---------------------------------------------------------------------

TRANSFER_DECISIONS = ("accept", "decline")
DECIDED_SHOWN = 50


@login_required
def transfer_requests(request: HttpRequest) -> HttpResponse:
    """Transfer requests of the county: a child's ID number was typed into a registration or an
    edit in another village (most often, the child moved). Open ones first, to accept (the child
    is moved there) or decline; then the latest decided."""
    user = account(request)
    if not decides_transfers(user):
        raise PermissionDenied
    return render(
        request,
        "registry/transfers.html",
        {
            "open": list(transfer_requests_for_county(user)),
            "decided": list(transfer_requests_for_county(user, decided=True)[:DECIDED_SHOWN]),
        },
    )


@login_required
@require_POST
def transfer_decide(request: HttpRequest, transfer_id: int, decision: str) -> HttpResponse:
    """Accept or decline one transfer request; the child's record is reached through the access
    layer (an edit, logged) before it moves."""
    user = account(request)
    if not decides_transfers(user):
        raise PermissionDenied
    transfer = transfer_requests_for_county(user).filter(pk=transfer_id).first()
    if decision not in TRANSFER_DECISIONS or transfer is None:
        raise Http404
    child_get_for_user(
        user, transfer.child_id, AccessPurpose.EDIT, route="registry:transfer-decide"
    )
    try:
        transfer_request_decide(actor=user, transfer=transfer, accept=decision == "accept")
    except ValidationError as exc:
        service_errors(request, exc)
    else:
        if decision == "accept":
            messages.success(
                request,
                _("Child #%(child)d is moved to %(village)s.")
                % {"child": transfer.child_id, "village": transfer.village.name},
            )
        else:
            messages.success(request, _("The transfer request is declined."))
    return redirect("registry:transfer-list")
