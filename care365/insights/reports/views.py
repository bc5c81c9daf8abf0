"""The reports page: ask for a report, watch it being built, download it."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from care365.accounts.http import account
from care365.core import forms as core_forms
from care365.insights.reports import access, services
from care365.insights.reports.forms import ReportRequestForm

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    """The reports of the user's areas, newest first, and the form that asks for one."""
    user = account(request)
    if not access.reads_reports(user):
        raise PermissionDenied
    form = ReportRequestForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            report = services.report_request(
                actor=user,
                kind=d["kind"],
                period=d["period"],
                area=form.areas[d["area"]],
                language=get_language(),
            )
        except ValidationError as exc:
            core_forms.add_service_errors(form, exc)
        else:
            messages.success(request, _("The report is being made. This page shows how far."))
            return redirect("insights:report-detail", report_id=report.pk)
    page = Paginator(access.reports_for_user(user), settings.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "insights/reports/list.html",
        {"form": form, "page": page},
        status=400 if form.is_bound else 200,
    )


@login_required
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    report = access.report_get_for_user(account(request), report_id)
    return render(request, "insights/reports/detail.html", {"report": report})


@login_required
def report_progress(request: HttpRequest, report_id: int) -> HttpResponse:
    """The report's state and progress (the detail page's live part, polled by htmx)."""
    report = access.report_get_for_user(account(request), report_id)
    return render(request, "insights/reports/_progress.html", {"report": report})


@login_required
def report_download(request: HttpRequest, report_id: int, fmt: str) -> HttpResponse:
    if fmt not in CONTENT_TYPES:
        raise Http404
    report = access.report_get_for_user(account(request), report_id, with_files=True)
    content = report.xlsx if fmt == "xlsx" else report.pdf
    if content is None:
        raise Http404
    response = HttpResponse(bytes(content), content_type=CONTENT_TYPES[fmt])
    name = f"care365-{report.kind}-{report.area.code}-{report.period}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
