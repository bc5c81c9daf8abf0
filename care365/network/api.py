"""Mandatory reports for staff, read only (the public page is the way in; docs/network.md).

Reports come through the access layer (`network.access`): the county's administrators,
supervisors and directors of their villages, the covering station's officers; out of scope
answers 404, like missing. The reporter is null for everyone but the county's administrators.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Query, Router

from care365.accounts.api import account
from care365.accounts.models import User
from care365.core.api import responses, route
from care365.core.schemas import Page
from care365.network import access, selectors
from care365.network.schemas import MandatoryReportListOut, MandatoryReportOut, ReportId

router = Router(tags=["network"])


def _report(row: selectors.ReportRow) -> dict[str, Any]:
    report = row.report
    village = report.village
    task = row.task
    return {
        "id": report.pk,
        "created_at": report.created_at,
        "village": {"id": village.pk, "name": village.name, "code": village.code},
        "township": village.parent.name if village.parent else "",
        "situation": report.situation,
        "what_seen": report.what_seen,
        "child_described": {
            "name": report.child_name,
            "age": report.child_age,
            "where": report.child_where,
        },
        "registered": report.child_id is not None,
        "child": report.child_id if row.child_visible else None,
        "alert": report.alert_id,
        "state": report.alert.state,
        "status": row.status,
        "registration_task": (
            {"id": task.pk, "kind": task.kind, "state": task.state, "due_on": task.due_on}
            if task is not None
            else None
        ),
        "reporter": (
            {
                "name": report.reporter_name,
                "phone": report.reporter_phone,
                "role": report.reporter_role,
            }
            if row.reporter
            else None
        ),
    }


def _reader(request: HttpRequest) -> User:
    user = account(request)
    if not access.reads_mandatory_reports(user):
        raise PermissionDenied
    return user


@router.get(
    "/mandatory-reports",
    response=responses(200, MandatoryReportListOut),
    operation_id="mandatory_report_list",
    summary="Mandatory reports from the public page",
)
def mandatory_report_list(request: HttpRequest, page: Query[Page]) -> dict[str, Any]:
    """Newest first: the reports of your county (administrators), your villages (supervisors,
    directors) or the villages your station covers (officers). Others are refused (403)."""
    user = _reader(request)
    rows = selectors.report_rows_page(user, offset=page.offset, limit=page.limit)
    return {"items": [_report(r) for r in rows], "count": selectors.reports_count(user)}


@router.get(
    "/mandatory-reports/{report_id}",
    response=responses(200, MandatoryReportOut),
    operation_id="mandatory_report_get",
    summary="One mandatory report",
)
def mandatory_report_get(request: HttpRequest, report_id: ReportId) -> dict[str, Any]:
    """The report; 404 when it is not yours to see, as when it does not exist."""
    user = account(request)
    report = access.mandatory_report_get_for_user(
        user, report_id, route=route("mandatory_report_get")
    )
    return _report(selectors.report_row(user, report))
