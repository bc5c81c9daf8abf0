"""The county's townships and villages, kept by its county administrator: the list, adding one,
renaming or moving one, and merging two villages (with a confirmation)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from care365.accounts import services
from care365.accounts.access import area_get_for_admin
from care365.accounts.http import county_admin, service_errors
from care365.areas import forms, selectors
from care365.core.forms import add_service_errors


@login_required
def area_list(request: HttpRequest) -> HttpResponse:
    _user, county = county_admin(request)
    return render(
        request, "areas/list.html", {"county": county, "areas": selectors.area_tree(county)}
    )


@login_required
def area_add(request: HttpRequest) -> HttpResponse:
    user, county = county_admin(request)
    form = forms.AreaAddForm(request.POST or None, county=county)
    if request.method == "POST" and form.is_valid():
        try:
            services.area_create(
                actor=user,
                level=form.cleaned_data["level"],
                parent=form.cleaned_data["parent"],
                code=form.cleaned_data["code"],
                values=form.values(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The area is added."))
            return redirect("areas:area-list")
    context = {
        "form": form,
        "title": _("Add a township or village"),
        "submit": _("Add"),
        "cancel": reverse("areas:area-list"),
    }
    return render(request, "web/form_page.html", context, status=400 if form.errors else 200)


@login_required
def area_edit(request: HttpRequest, area_id: int) -> HttpResponse:
    user, _county_area = county_admin(request)
    area = area_get_for_admin(user, area_id)
    initial = {"name": area.name, "latitude": area.latitude, "longitude": area.longitude}
    form = forms.AreaForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.area_update(actor=user, area=area, values=form.values())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The area is saved."))
            return redirect("areas:area-list")
    context = {
        "form": form,
        "title": _("Edit %(name)s (%(code)s)") % {"name": area.name, "code": area.code},
        "lead": _("The code stays: it is the area's statistical code."),
        "submit": _("Save"),
        "cancel": reverse("areas:area-list"),
    }
    return render(request, "web/form_page.html", context, status=400 if form.errors else 200)


@login_required
def area_merge(request: HttpRequest) -> HttpResponse:
    """Choose two villages (GET), see what moves and confirm (POST with confirm)."""
    user, county = county_admin(request)
    data = request.POST if request.method == "POST" else request.GET if request.GET else None
    form = forms.AreaMergeForm(data, county=county)
    if form.is_bound and form.is_valid():
        keep, absorb = form.cleaned_data["keep"], form.cleaned_data["absorb"]
        if request.method == "POST" and "confirm" in request.POST:
            try:
                services.area_merge(actor=user, keep=keep, absorb=absorb)
            except ValidationError as exc:
                service_errors(request, exc)
                return redirect("areas:area-merge")
            messages.success(
                request,
                _("%(absorb)s is merged into %(keep)s.")
                % {"absorb": absorb.name, "keep": keep.name},
            )
            return redirect("areas:area-list")
        if keep.pk == absorb.pk:
            form.add_error("absorb", _("Choose two different villages."))
        else:
            context = {
                "form": form,
                "keep": keep,
                "absorb": absorb,
                "moving": selectors.area_references(absorb),
            }
            return render(request, "areas/merge_confirm.html", context)
    status = 400 if form.errors else 200
    return render(request, "areas/merge.html", {"form": form}, status=status)
