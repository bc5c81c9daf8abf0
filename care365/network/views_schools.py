"""The schools pages (控辍保学; docs/network.md): the schools of the county, a school's roll, the
teacher's daily roll call, a child's attendance, enrolling a child, and the drop-outs followed
with the education bureau.

A teacher reaches a child only through `access.school_child_get_for_user` (their school's roll,
logged) and is shown identity and attendance only; the registry's keepers see the children of
their area. Addresses carry numeric ids only, never a child's name.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from care365.accounts.access import child_get_for_user
from care365.accounts.http import account
from care365.accounts.models import AccessPurpose, User
from care365.core import forms as core_forms
from care365.core.errors import StateConflictError
from care365.network import access, selectors_schools
from care365.network.forms_schools import (
    AbsenceForm,
    DropOutCloseForm,
    DropOutForm,
    EnrolmentEndForm,
    EnrolmentForm,
)
from care365.network.models import CLASS_MAX, AbsenceReason
from care365.network.services import schools as services
from care365.registry.models import Child


def _reader(request: HttpRequest) -> User:
    user = account(request)
    if not access.reads_schools(user):
        raise PermissionDenied
    return user


def _day(request: HttpRequest, today: date) -> date:
    """The day asked for (`?day=YYYY-MM-DD`), today if none, never after today."""
    raw = str(request.GET.get("day") or request.POST.get("day") or "")[:10]
    try:
        day = parse_date(raw) if raw else None
    except ValueError:
        day = None
    return min(day or today, today)


def _class(request: HttpRequest) -> str:
    return str(request.GET.get("class") or request.POST.get("class") or "").strip()[:CLASS_MAX]


@login_required
def school_list(request: HttpRequest) -> HttpResponse:
    """A teacher goes straight to their school's roll; the registry's keepers see the schools
    of their county with how many of their children each holds, and the open drop-outs."""
    user = _reader(request)
    own = access.school_of_teacher(user)
    if own is not None:
        return redirect("network:school-roll", school_id=own.pk)
    context = {
        "schools": selectors_schools.schools_with_counts(access.schools_for_user(user), user),
        "drop_outs": selectors_schools.drop_out_list(user)[:200],
    }
    return render(request, "network/school_list.html", context)


@login_required
def school_roll(request: HttpRequest, school_id: int) -> HttpResponse:
    """A school's roll for a day: identity, grade and class, and absences of the last 30 days."""
    user = _reader(request)
    school = access.school_get_for_user(user, school_id)
    today = timezone.localdate()
    day = _day(request, today)
    class_name = _class(request)
    context = {
        "school": school,
        "day": day,
        "today": today,
        "class_name": class_name,
        "classes": selectors_schools.school_classes(user, school),
        "rows": selectors_schools.roll_rows(user, school, day=day, class_name=class_name),
        "roll_call": access.records_roll_call(user, school),
        "window": services.ABSENCE_WINDOW_DAYS,
    }
    return render(request, "network/school_roll.html", context)


@login_required
def school_roll_call(request: HttpRequest, school_id: int) -> HttpResponse:
    """The teacher's roll call for a day (one class, or the whole school): tick who is absent
    and why; everyone else is present. Made for a phone: one row per child."""
    user = _reader(request)
    school = access.school_get_for_user(user, school_id)
    if not access.records_roll_call(user, school):
        raise PermissionDenied
    today = timezone.localdate()
    day = _day(request, today)
    class_name = _class(request)
    rows = selectors_schools.roll_rows(user, school, day=day, class_name=class_name)
    errors: list[str] = []
    if request.method == "POST":
        absent: dict[int, str] = {}
        for row in rows:
            if request.POST.get(f"absent-{row.child_id}"):
                reason = str(request.POST.get(f"reason-{row.child_id}") or "")
                absent[row.child_id] = reason or AbsenceReason.UNEXPLAINED
        try:
            count = services.roll_call_record(
                actor=user, school=school, day=day, absent=absent, class_name=class_name
            )
        except ValidationError as exc:
            errors = [str(m) for m in exc.messages]
        else:
            messages.success(request, _("The roll call is recorded: %(n)d absent.") % {"n": count})
            query = {"day": day.isoformat(), **({"class": class_name} if class_name else {})}
            return redirect(f"{request.path}?{urlencode(query)}")
    context = {
        "school": school,
        "day": day,
        "today": today,
        "yesterday": day - timedelta(days=1),
        "class_name": class_name,
        "classes": selectors_schools.school_classes(user, school),
        "rows": rows,
        "reasons": AbsenceReason.choices,
        "errors": errors,
    }
    return render(request, "network/school_roll_call.html", context, status=400 if errors else 200)


def _attendance_page(
    request: HttpRequest, user: User, child: Child, *, status: int = 200, **forms: Any
) -> HttpResponse:
    today = timezone.localdate()
    context = {
        "attendance": selectors_schools.attendance_of_child(user, child, today),
        "absence_form": forms.get("absence_form")
        or AbsenceForm(prefix="absence", initial={"start": today.isoformat()}),
        "drop_out_form": forms.get("drop_out_form")
        or DropOutForm(prefix="drop", initial={"left_on": today.isoformat()}),
        "teacher": access.school_of_teacher(user) is not None,
        "today": today,
    }
    return render(request, "network/school_child.html", context, status=status)


@login_required
def school_child(request: HttpRequest, child_id: int) -> HttpResponse:
    """A child's attendance: identity, enrolment and absences (the last year)."""
    user = _reader(request)
    child = access.school_child_get_for_user(user, child_id, route="network:school-child")
    return _attendance_page(request, user, child)


@login_required
@require_POST
def school_absence_add(request: HttpRequest, child_id: int) -> HttpResponse:
    """Record a child's absence on one day or several in a row."""
    user = _reader(request)
    child = access.school_child_get_for_user(user, child_id, route="network:school-absence-add")
    if not access.records_attendance(user, child):
        raise PermissionDenied
    form = AbsenceForm(request.POST, prefix="absence")
    values = form.cleaned_data if form.is_valid() else {}
    start = values.get("start")
    end = values.get("end") or start
    days: list[date] = []
    if start is not None and end is not None and start <= end <= start + timedelta(days=62):
        days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    try:
        services.absences_record(
            actor=user,
            child=child,
            days=days,
            reason=values.get("reason", ""),
            note=values.get("note", ""),
        )
    except ValidationError as exc:
        core_forms.add_service_errors(form, exc)
        return _attendance_page(request, user, child, status=400, absence_form=form)
    messages.success(request, _("The absence is recorded."))
    return redirect("network:school-child", child_id=child.pk)


@login_required
@require_POST
def school_drop_out_add(request: HttpRequest, child_id: int) -> HttpResponse:
    """Record that the child dropped out: the education bureau is asked to follow it up."""
    user = _reader(request)
    child = access.school_child_get_for_user(user, child_id, route="network:school-drop-out-add")
    if not access.records_attendance(user, child):
        raise PermissionDenied
    form = DropOutForm(request.POST, prefix="drop")
    values = form.cleaned_data if form.is_valid() else {}
    try:
        services.drop_out_record(
            actor=user, child=child, left_on=values.get("left_on"), note=values.get("note", "")
        )
    except StateConflictError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        core_forms.add_service_errors(form, exc)
        return _attendance_page(request, user, child, status=400, drop_out_form=form)
    else:
        messages.success(
            request, _("The drop-out is recorded and referred to the education bureau.")
        )
    if access.school_of_teacher(user) is not None:
        school = access.school_of_teacher(user)
        assert school is not None  # noqa: S101  # checked above
        return redirect("network:school-roll", school_id=school.pk)
    return redirect("network:school-child", child_id=child.pk)


@login_required
def enrolment_add(request: HttpRequest, child_id: int) -> HttpResponse:
    """Enrol a child of the keeper's area at a school of the county (a child back in school
    after dropping out is enrolled here too)."""
    user = account(request)
    child = child_get_for_user(
        user,
        child_id,
        AccessPurpose.VIEW,
        route="network:enrolment-add",
        allowed=access.keeps_school_roll,
    )
    schools = list(access.school_choices(child))
    form = EnrolmentForm(
        request.POST or None,
        schools=schools,
        initial={"since": timezone.localdate().isoformat()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.enrolment_create(
                actor=user,
                child=child,
                school_id=form.school_id(),
                grade=form.cleaned_data["grade"],
                class_name=form.cleaned_data["class_name"],
                since=form.cleaned_data["since"],
            )
        except ValidationError as exc:
            core_forms.add_service_errors(form, exc)
        else:
            messages.success(request, _("The child is enrolled."))
            return redirect("network:school-child", child_id=child.pk)
    context = {"child": child, "form": form, "schools": schools}
    return render(request, "network/school_enrol.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def enrolment_end(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    """End an enrolment (moved, finished, other)."""
    user = account(request)
    enrolment = access.enrolment_get_for_user(user, enrolment_id, route="network:enrolment-end")
    if not access.keeps_school_roll(user, enrolment.child):
        raise PermissionDenied
    form = EnrolmentEndForm(request.POST)
    values = form.cleaned_data if form.is_valid() else {}
    try:
        services.enrolment_end(
            actor=user,
            enrolment=enrolment,
            until=values.get("until"),
            reason=values.get("reason", ""),
        )
    except StateConflictError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(str(m) for m in exc.messages))
    else:
        messages.success(request, _("The enrolment has ended."))
    return redirect("network:school-child", child_id=enrolment.child_id)


@login_required
def drop_out_list(request: HttpRequest) -> HttpResponse:
    """The drop-outs of the keeper's area: open ones (followed with the education bureau), or
    every one (`?all=1`)."""
    user = account(request)
    if not access.reads_drop_outs(user):
        raise PermissionDenied
    every = request.GET.get("all") == "1"
    context = {
        "drop_outs": selectors_schools.drop_out_list(user, open_only=not every)[:500],
        "every": every,
    }
    return render(request, "network/school_drop_outs.html", context)


def _drop_out_page(
    request: HttpRequest, user: User, drop_out: Any, *, status: int = 200, form: Any = None
) -> HttpResponse:
    context = {
        "drop_out": drop_out,
        "keeps": access.keeps_school_roll(user, drop_out.child),
        "close_form": form or DropOutCloseForm(),
    }
    return render(request, "network/school_drop_out.html", context, status=status)


@login_required
def drop_out_detail(request: HttpRequest, drop_out_id: int) -> HttpResponse:
    user = account(request)
    drop_out = access.drop_out_get_for_user(user, drop_out_id, route="network:drop-out-detail")
    return _drop_out_page(request, user, drop_out)


@login_required
@require_POST
def drop_out_close(request: HttpRequest, drop_out_id: int) -> HttpResponse:
    """Close a drop-out's follow-up with its outcome (back in school is recorded by enrolling)."""
    user = account(request)
    drop_out = access.drop_out_get_for_user(user, drop_out_id, route="network:drop-out-close")
    if not access.keeps_school_roll(user, drop_out.child):
        raise PermissionDenied
    form = DropOutCloseForm(request.POST)
    outcome = form.cleaned_data["outcome"] if form.is_valid() else ""
    try:
        services.drop_out_close(actor=user, drop_out=drop_out, outcome=outcome)
    except StateConflictError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        core_forms.add_service_errors(form, exc)
        return _drop_out_page(request, user, drop_out, status=400, form=form)
    else:
        messages.success(request, _("The drop-out's follow-up is closed."))
    return redirect("network:drop-out-detail", drop_out_id=drop_out.pk)


def child_school_context(user: User, child: Child) -> dict[str, Any]:
    """The child page's school section (registry.views composes it)."""
    return selectors_schools.child_school_section(user, child)
