"""Privacy pages: break-the-glass (opening a child outside one's scope, with a reason) and the
county administrator's view of the access log."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from care365.accounts import forms, selectors, totp
from care365.accounts.access import (
    managed_users_for_user,
    may_break_glass,
    may_manage_users,
    reads_access_log,
    user_get_for_user,
)
from care365.accounts.http import account, service_errors
from care365.accounts.models import User
from care365.accounts.paginators import CappedPaginator
from care365.accounts.selectors import (
    AccessLogFilters,
    access_log_for_county,
    audit_for_county,
    child_names,
    id_lookups_for_county_filtered,
    list_exports_for_county,
)
from care365.accounts.services import access_grant_open, user_invite_link
from care365.accounts.services import users as users_services
from care365.core import forms as core_forms


@login_required
def child_break_glass(request: HttpRequest) -> HttpResponse:
    """Open a child of the county outside one's scope in an emergency (responders only: the page
    is neither offered nor shown to others). The ID number is posted, never put in a URL; the
    child's page follows by its number only. A volunteer's (or anyone else's) posted attempt
    still reaches the service, which keeps it in the access log before refusing it."""
    user = account(request)
    if request.method != "POST" and not may_break_glass(user):
        raise PermissionDenied
    form = forms.BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            grant = access_grant_open(
                user=user,
                id_number=form.cleaned_data["id_number"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            core_forms.add_service_errors(form, exc)
        else:
            until = formats.time_format(timezone.localtime(grant.expires_at), "H:i")
            messages.warning(
                request,
                _(
                    "Emergency access until %(until)s. It is in the access log and the county "
                    "administrators have been told."
                )
                % {"until": until},
            )
            return redirect("registry:child-detail", child_id=grant.child_id)
    if not may_break_glass(user):
        raise PermissionDenied
    status = 400 if form.is_bound else 200
    return render(
        request,
        "accounts/break_glass.html",
        {"form": form, "minutes": settings.BREAK_GLASS_MINUTES},
        status=status,
    )


@login_required
def access_log(request: HttpRequest) -> HttpResponse:
    user = account(request)
    if not reads_access_log(user):
        raise PermissionDenied
    form = forms.AccessLogFilterForm(request.GET)
    chosen = form.values()
    log = request.GET.get("log")
    changes, lookups, exports = log == "changes", log == "lookups", log == "exports"
    filters = AccessLogFilters(**chosen)
    entries: QuerySet[Any]
    if exports:
        # Lists taken away as files: one entry per file, with its filters and rows.
        entries = list_exports_for_county(user, filters)
    elif lookups:
        # Look-ups by ID number, found or not (a look-up that found nobody names no child).
        entries = id_lookups_for_county_filtered(user, filters)
    elif changes:
        entries = audit_for_county(user, filters)
    else:
        entries = access_log_for_county(user, filters)
    # Counted up to COUNT_CAP entries, as the children list is: a county's log grows by
    # thousands of reads a week, and counting all of them (each checked against the county)
    # cost more than the page.
    page = CappedPaginator(entries, settings.PAGE_SIZE).get_page(request.GET.get("page"))

    def child_of(entry: Any) -> int | None:
        if exports:
            return None
        return int(entry.object_id) if changes else entry.child_id

    # Each row names its child (one query for the page), as the administrator sees names.
    names = child_names(user, [*map(child_of, page.object_list), filters.child])
    query = {k: str(v) for k, v in chosen.items()} | (
        {"log": log} if changes or lookups or exports else {}
    )
    unpicked = {k: v for k, v in query.items() if k != "child"}
    return render(
        request,
        "accounts/access_log.html",
        {
            "form": form,
            "page": page,
            "rows": [(e, names.get(child_of(e) or 0, "")) for e in page.object_list],
            "query": urlencode(query),
            "changes": changes,
            "lookups": lookups,
            "exports": exports,
            # A link's filter by one child: named, with a way back to every child's entries.
            "picked": (
                {"id": filters.child, "name": names.get(filters.child, "")}
                if filters.child is not None
                else None
            ),
            "unpicked_query": urlencode(unpicked),
        },
    )


# The county's users, kept by its county administrator. -----------------------------------------


def _manager(request: HttpRequest) -> User:
    user = account(request)
    if not may_manage_users(user):
        raise PermissionDenied
    return user


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    users = (
        managed_users_for_user(actor)
        .select_related("area", "carer", "organisation")
        .order_by("-is_active", "role", "username")
    )
    page = Paginator(users, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/users.html", {"page": page, "county": actor.area})


def _invite_page(request: HttpRequest, actor: User, user: User, *, new: bool) -> HttpResponse:
    link = request.build_absolute_uri(user_invite_link(actor=actor, user=user))
    return render(request, "accounts/user_link.html", {"person": user, "link": link, "new": new})


@login_required
@never_cache
def user_add(request: HttpRequest) -> HttpResponse:
    """Add a user; the page that follows shows the one-time link to set their password."""
    actor = _manager(request)
    form = forms.UserForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            user = users_services.user_create(
                actor=actor, username=form.cleaned_data["username"], values=form.values()
            )
        except ValidationError as exc:
            core_forms.add_service_errors(form, exc)
        else:
            return _invite_page(request, actor, user, new=True)
    context = {
        "form": form,
        "title": _("Add a user"),
        "lead": _(
            "The new user gets a one-time link to set their password: you hand it to them "
            "after this step."
        ),
        "submit": _("Add"),
        "cancel": reverse("accounts:user-list"),
    }
    return render(request, "web/form_page.html", context, status=400 if form.errors else 200)


@login_required
def user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = _manager(request)
    user = user_get_for_user(actor, user_id)
    initial = {
        "role": user.role,
        "area": user.area_id,
        "carer": user.carer_id,
        "organisation": user.organisation_id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
    }
    form = forms.UserForm(request.POST or None, initial=initial, actor=actor, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            users_services.user_update(actor=actor, user=user, values=form.values())
        except ValidationError as exc:
            core_forms.add_service_errors(form, exc)
        else:
            messages.success(request, _("The user is saved."))
            return redirect("accounts:user-edit", user_id=user.pk)
    context = {
        "form": form,
        "person": user,
        "is_self": user.pk == actor.pk,
        "two_step": totp.confirmed_device(user) is not None,
        "tokens": selectors.api_tokens_of(user).count(),
    }
    return render(request, "accounts/user.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def user_action(request: HttpRequest, user_id: int, action: str) -> HttpResponse:
    """One button on a user's page: deactivate, reactivate, reset two-step sign-in, or make a
    new one-time link (shown on the page that follows, never kept)."""
    actor = _manager(request)
    user = user_get_for_user(actor, user_id)
    try:
        if action == "link":
            return _invite_page(request, actor, user, new=False)
        if action == "deactivate":
            users_services.user_deactivate(actor=actor, user=user)
            messages.success(request, _("The user is deactivated: they can no longer sign in."))
        elif action == "reactivate":
            users_services.user_reactivate(actor=actor, user=user)
            messages.success(request, _("The user can sign in again."))
        elif action == "two-step":
            if users_services.user_two_step_reset(actor=actor, user=user):
                messages.success(
                    request,
                    _("Two-step sign-in is reset: they set up their app at their next sign-in."),
                )
        else:
            raise Http404
    except ValidationError as exc:
        service_errors(request, exc)
    return redirect("accounts:user-edit", user_id=user.pk)
