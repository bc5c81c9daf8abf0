"""List exports: each list's page offers its rows as .csv and .xlsx, with the page's filters.

Each export parses the page's own filter form, asks the list's own selector (through the access
layer, as the page does), writes one entry to the log of exports (the list, the format, the
filters and how many rows: `accounts.access.list_export_record`) before any row leaves, and
streams the file (`core.exports`). The URL carries only the format and the filters; a search
text (a child's name or ID number) stays in the session as it does for the page, and the log
records only that a search was used and of which kind. Only the registry's keepers export
(`may_export_lists`); a role's export holds only the columns its role sees.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponseBase,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from care365.accounts.access import list_export_record, may_export_lists
from care365.accounts.http import account
from care365.accounts.lookups import looks_like_id_number
from care365.accounts.models import ListExport, User
from care365.accounts.selectors import carer_list
from care365.care import access as care_access
from care365.care import selectors as care_selectors
from care365.care.views import DUE_AHEAD_DAYS
from care365.carers.forms import CarerFilterForm
from care365.core.exports import FORMATS, table_response
from care365.insights.exports import lists
from care365.protection import access as protection_access
from care365.protection import selectors as protection_selectors
from care365.registry import forms as registry_forms
from care365.registry import views as registry_views


def _exporter(request: HttpRequest, fmt: str) -> User:
    if fmt not in FORMATS:
        raise Http404
    user = account(request)
    if not may_export_lists(user):
        raise PermissionDenied
    return user


def _send(
    request: HttpRequest,
    user: User,
    fmt: str,
    list_name: str,
    table: lists.Table,
    *,
    filters: dict[str, str],
) -> StreamingHttpResponse:
    route = f"insights:export-{list_name}"
    list_export_record(user, list_name, fmt, filters=filters, rows=table.count, route=route)
    return table_response(
        request,
        fmt,
        filename=f"care365-{list_name}-{timezone.localdate():%Y%m%d}",
        title=table.title,
        header=table.header,
        rows=table.rows,
    )


@login_required
def export_children(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The children list with its filters and the search kept for the page."""
    user = _exporter(request, fmt)
    q = registry_views._search_text(request)
    form = registry_forms.ChildSearchForm(request.GET, user=user, initial={"q": q})
    query = form.query()
    back = reverse("registry:child-list") + (f"?{urlencode(query)}" if query else "")
    if form.refused:
        # A filter the role may not use: the page says so (and shows no list).
        return HttpResponseRedirect(reverse("registry:child-list") + "?" + request.GET.urlencode())
    filters = registry_views._filters(form, q)
    try:
        children = registry_views._children_searched(request, user, filters)
    except ValidationError:
        return HttpResponseRedirect(back)
    used = dict(query)
    if q:
        used["search"] = "id_number" if looks_like_id_number(q) else "name"
    table = lists.children_table(user, children, language=get_language())
    return _send(request, user, fmt, ListExport.ListName.CHILDREN, table, filters=used)


@login_required
def export_carers(request: HttpRequest, fmt: str) -> HttpResponseBase:
    user = _exporter(request, fmt)
    form = CarerFilterForm(request.GET, user=user)
    values = form.values()
    carers = carer_list(
        user, role=values.get("role"), area=values.get("area"), q=values.get("q", "")
    )
    table = lists.carers_table(carers, language=get_language())
    used = {k: str(v) for k, v in values.items()}
    return _send(request, user, fmt, ListExport.ListName.CARERS, table, filters=used)


@login_required
def export_due(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The due list as its page shows it: what is overdue and what falls due within the week."""
    user = _exporter(request, fmt)
    items = care_selectors.due_list_for_user(user, timezone.localdate(), within_days=DUE_AHEAD_DAYS)
    table = lists.due_table(user, items, language=get_language())
    used = {"within_days": str(DUE_AHEAD_DAYS)}
    return _send(request, user, fmt, ListExport.ListName.DUE, table, filters=used)


@login_required
def export_risk(request: HttpRequest, fmt: str) -> HttpResponseBase:
    user = _exporter(request, fmt)
    if not care_access.keeps_care_records(user):
        raise PermissionDenied
    table = lists.risk_table(user, care_selectors.risk_list(user), language=get_language())
    return _send(request, user, fmt, ListExport.ListName.RISK, table, filters={})


@login_required
def export_alerts(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The open alerts of the board (all of them, where the board shows the newest 200)."""
    user = _exporter(request, fmt)
    if not protection_access.sees_alert_board(user):
        raise PermissionDenied
    alerts = protection_selectors.alerts_open_for_user(user)
    table = lists.alerts_table(user, alerts, language=get_language())
    return _send(request, user, fmt, ListExport.ListName.ALERTS, table, filters={"open": "1"})
