"""Asking for a report, and building it (the worker, or `care365 report`).

A report's row is its job: `report_request` queues it (audited); a worker claims the oldest
queued report, or one whose lease has run out because the worker building it died
(`report_claim_next`: a conditional update, with SKIP LOCKED on PostgreSQL, so two workers never
build one report); `report_build` computes the figures step by step, writing the progress to the
row after each step (outside any transaction, so the page sees it at once), renders the .xlsx
and the PDF and keeps them with the figures. Building is idempotent: a report built again from
the same tables gets the same figures.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from care365.accounts.models import User
from care365.areas.models import Area
from care365.core.audit import audit
from care365.insights.reports import figures as report_figures
from care365.insights.reports import render
from care365.insights.reports.access import may_report_on, suppresses_small_counts
from care365.insights.reports.models import Report
from care365.insights.reports.periods import Period, PeriodError, period_parse

logger = logging.getLogger("care365.reports")

# Progress: the figures' steps share the first 80%, the xlsx and the PDF the rest.
_FIGURES_SHARE = 80
_MAX_ATTEMPTS = 3


def report_period(kind: str, period: str) -> Period:
    """The period a report of `kind` names; a ValidationError in the reader's words if none."""
    try:
        return period_parse(kind, period)
    except PeriodError:
        examples = {"monthly": "2025-06", "quarterly": "2025-Q2", "yearly": "2025"}
        raise ValidationError(
            {
                "period": _("Give the period as %(example)s.")
                % {"example": examples.get(kind, "2025-06")}
            },
            code="period",
        ) from None


@transaction.atomic
def report_request(*, actor: User, kind: str, period: str, area: Area, language: str) -> Report:
    """Queue a report of `area` for `period` (a worker builds it). Only someone who may read
    the area's reports may ask (`may_report_on`); a period still running is refused."""
    if not may_report_on(actor, area):
        raise ValidationError({"area": _("You cannot ask for this area's report.")}, code="area")
    parsed = report_period(kind, period)
    if parsed.end >= timezone.localdate():
        raise ValidationError(
            {"period": _("This period has not ended yet: choose one that has.")}, code="period"
        )
    report = Report.objects.create(
        kind=kind, period=parsed.label, area=area, requested_by=actor, language=language
    )
    audit(actor=actor, action="report_request", obj=report, note=f"{kind} {parsed.label}")
    return report


def report_create_for_command(*, kind: str, period: str, area: Area, language: str) -> Report:
    """A report asked for on the command line (`care365 report`), built at once by it."""
    parsed = report_period(kind, period)
    with transaction.atomic():
        report = Report.objects.create(kind=kind, period=parsed.label, area=area, language=language)
        audit(actor=None, action="report_request", obj=report, note=f"{kind} {parsed.label}")
    return report


def report_claim_next(*, now: datetime | None = None, pk: int | None = None) -> Report | None:
    """Claim the oldest report waiting to be built, or one whose builder's lease ran out
    (`pk`: that report only, as `care365 report` builds its own)."""
    now = now or timezone.now()
    lease = now + timedelta(seconds=settings.REPORT_LEASE_SECONDS)
    waiting = Q(state=Report.State.QUEUED) | Q(state=Report.State.RUNNING, lease_until__lt=now)
    if pk is not None:
        waiting &= Q(pk=pk)
    with transaction.atomic():
        candidate = (
            Report.objects.select_for_update(skip_locked=True)
            .filter(waiting)
            .order_by("requested_at", "pk")
            .only("pk")
            .first()
        )
        if candidate is None:
            return None
        claimed = Report.objects.filter(waiting, pk=candidate.pk).update(
            state=Report.State.RUNNING,
            lease_until=lease,
            started_at=now,
            progress=0,
            attempts=F("attempts") + 1,
        )
    if not claimed:
        return None
    return Report.objects.select_related("area").defer("xlsx", "pdf").get(pk=candidate.pk)


def _progress(report: Report, percent: int) -> None:
    lease = timezone.now() + timedelta(seconds=settings.REPORT_LEASE_SECONDS)
    Report.objects.filter(pk=report.pk, state=Report.State.RUNNING).update(
        progress=min(percent, 99), lease_until=lease
    )


def report_build(report: Report) -> Report:
    """Compute the figures of a claimed report, render its files and keep them. A failure is
    kept on the report (and tried again by the next claim, up to three attempts)."""
    try:
        period = period_parse(report.kind, report.period)
        figures = _figures(report, period)
        suppress = suppresses_small_counts(report.area)
        xlsx = render.render_xlsx(figures, language=report.language, suppress=suppress)
        _progress(report, 90)
        pdf = render.render_pdf(figures, language=report.language, suppress=suppress)
    except Exception as exc:
        logger.exception("report %s failed", report.pk)
        state = Report.State.FAILED if report.attempts >= _MAX_ATTEMPTS else Report.State.QUEUED
        if isinstance(exc, render.ReportFontMissingError):
            state = Report.State.FAILED  # no retry mends a missing font
        Report.objects.filter(pk=report.pk).update(
            state=state, error=f"{type(exc).__name__}: {exc}"[:255], lease_until=None
        )
        report.refresh_from_db(fields=["state", "error"])
        return report
    Report.objects.filter(pk=report.pk).update(
        state=Report.State.DONE,
        progress=100,
        figures=figures,
        xlsx=xlsx,
        pdf=pdf,
        finished_at=timezone.now(),
        lease_until=None,
        error="",
    )
    report.refresh_from_db(fields=["state", "progress", "finished_at"])
    return report


def _figures(report: Report, period: Period) -> dict[str, Any]:
    steps = len(report_figures.STEPS)
    yearly = report.kind == Report.Kind.YEARLY
    share = _FIGURES_SHARE // 2 if yearly else _FIGURES_SHARE

    def step(i: int, offset: int = 0) -> None:
        _progress(report, offset + share * i // steps)

    tables = report_figures.report_figures(report.area, period, step=step)
    figures = report_figures.figures_json(report.area, period, tables)
    if yearly:
        before = period.year_before()
        old = report_figures.report_figures(
            report.area, before, step=lambda i: step(i, offset=share)
        )
        figures["previous"] = report_figures.figures_json(report.area, before, old)
    return figures


def reports_build_pending(*, limit: int | None = None) -> int:
    """Build the reports waiting (the worker's report thread, and tests): how many were built."""
    built = 0
    while limit is None or built < limit:
        report = report_claim_next()
        if report is None:
            break
        report_build(report)
        built += 1
    return built
