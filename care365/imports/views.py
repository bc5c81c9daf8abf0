"""The import pages: upload a file, match its columns when they are not recognised, read the
check's report per row (and download it as .xlsx), apply it as a background job and watch its
progress, download a template. A new user's page to set their password from the link an import
gave them (`WelcomeView`).

Imports are their importer's own: every page about one goes through `import_get_for_user`.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from care365.accounts.http import account, service_errors
from care365.core.imports.columns import message_for
from care365.core.imports.workbook import write_error_report, write_template
from care365.imports import access, selectors, services
from care365.imports.forms import ApplyForm, ColumnsForm, UploadForm
from care365.imports.models import ImportRecord

TEMPLATE_NAMES = {"children": "children", "carers": "carers", "users": "users"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _kinds(request: HttpRequest) -> list[str]:
    kinds = access.kinds_for_user(account(request))
    if not kinds:
        raise PermissionDenied
    return kinds


def _big_upload(view: Any) -> Any:
    """The upload takes files up to CARE365_IMPORT_MAX_MB (web.security.RequestSizeMiddleware
    reads this mark; every other request keeps the small limit)."""
    view.max_request_body_setting = "IMPORT_MAX_BYTES"
    return view


@_big_upload
@login_required
def import_index(request: HttpRequest) -> HttpResponse:
    kinds = _kinds(request)
    user = account(request)
    form = UploadForm(request.POST or None, request.FILES or None, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        county = access.imports_county(user)
        if county is None:
            raise PermissionDenied
        upload = form.cleaned_data["file"]
        folder = Path(tempfile.mkdtemp(prefix="care365-upload-"))
        try:
            path = folder / "upload"
            with path.open("wb") as handle:
                for piece in upload.chunks():
                    handle.write(piece)
            record = services.import_start(
                actor=user,
                kind=form.cleaned_data["kind"],
                county=county,
                path=path,
                file_name=upload.name or "",
                source=ImportRecord.Source.PAGE,
                keep_file=True,
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("file", message)
        else:
            if record.state == ImportRecord.State.CHECKING:
                services.import_queue(actor=user, record=record, job=ImportRecord.Job.CHECK)
            return redirect("imports:import-detail", import_id=record.pk)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    page = Paginator(access.imports_for_user(user), settings.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "imports/index.html",
        {"form": form, "page": page, "kinds": kinds},
        status=400 if form.errors else 200,
    )


@login_required
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in _kinds(request):
        raise Http404
    folder = Path(tempfile.mkdtemp(prefix="care365-template-"))
    out = folder / "template.xlsx"
    write_template(access.IMPORTERS[kind].columns, out, sheet_title=_template_title(kind))
    data = out.read_bytes()
    shutil.rmtree(folder, ignore_errors=True)
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="care365-{kind}-template.xlsx"'
    return response


def _template_title(kind: str) -> str:
    return {"children": "儿童花名册", "carers": "结对人员", "users": "用户"}[kind]


def _record(request: HttpRequest, import_id: int) -> ImportRecord:
    return access.import_get_for_user(account(request), import_id)


@login_required
def import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    record = _record(request, import_id)
    phase = selectors.report_phase(record)
    errors = selectors.row_errors(record, phase)
    page = Paginator(errors, 50).get_page(request.GET.get("page"))
    columns = {c.key: c for c in access.IMPORTERS[record.kind].columns}
    rows = [
        {
            "row": e.row,
            "column": columns[e.column].label if e.column in columns else e.column,
            "header": columns[e.column].header if e.column in columns else "",
            "code": e.code,
            "message": message_for(e.code, e.detail),
        }
        for e in page.object_list
    ]
    return render(
        request,
        "imports/detail.html",
        {
            "record": record,
            "page": page,
            "rows": rows,
            "refused_rows": selectors.refused_rows(record, phase),
            "apply_form": ApplyForm(initial={"mode": record.mode}),
            "running": bool(record.job),
            "links": selectors.welcome_links(record),
        },
    )


@login_required
def import_progress(request: HttpRequest, import_id: int) -> HttpResponse:
    """The progress bar alone, which the page's script asks for every second while a job runs."""
    record = _record(request, import_id)
    return render(
        request, "imports/_progress.html", {"record": record, "running": bool(record.job)}
    )


@login_required
def import_columns(request: HttpRequest, import_id: int) -> HttpResponse:
    user = account(request)
    record = _record(request, import_id)
    form = ColumnsForm(
        request.POST or None,
        columns=access.IMPORTERS[record.kind].columns,
        header=record.header,
        mapping=record.mapping,
    )
    if record.state not in (ImportRecord.State.MAPPING, ImportRecord.State.CHECKING,
                            ImportRecord.State.CHECKED) or record.job:  # fmt: skip
        return redirect("imports:import-detail", import_id=record.pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.import_map(actor=user, record=record, mapping=form.mapping())
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            record.refresh_from_db()
            services.import_queue(actor=user, record=record, job=ImportRecord.Job.CHECK)
            return redirect("imports:import-detail", import_id=record.pk)
    return render(
        request,
        "imports/columns.html",
        {"record": record, "form": form},
        status=400 if form.errors else 200,
    )


def _queue(request: HttpRequest, import_id: int, job: str, mode: str | None) -> HttpResponse:
    user = account(request)
    record = _record(request, import_id)
    try:
        services.import_queue(actor=user, record=record, job=job, mode=mode)
    except ValidationError as exc:
        service_errors(request, exc)
    return redirect("imports:import-detail", import_id=record.pk)


@login_required
@require_POST
def import_check(request: HttpRequest, import_id: int) -> HttpResponse:
    return _queue(request, import_id, ImportRecord.Job.CHECK, None)


@login_required
@require_POST
def import_apply(request: HttpRequest, import_id: int) -> HttpResponse:
    form = ApplyForm(request.POST)
    mode = form.cleaned_data["mode"] if form.is_valid() else None
    return _queue(request, import_id, ImportRecord.Job.APPLY, mode)


@login_required
@require_POST
def import_discard(request: HttpRequest, import_id: int) -> HttpResponse:
    user = account(request)
    record = _record(request, import_id)
    try:
        services.import_discard(actor=user, record=record)
    except ValidationError as exc:
        service_errors(request, exc)
        return redirect("imports:import-detail", import_id=record.pk)
    messages.success(request, _("The import was discarded."))
    return redirect("imports:import-index")


@login_required
def import_report(request: HttpRequest, import_id: int) -> FileResponse:
    """The file's rows with an error column, as .xlsx."""
    record = _record(request, import_id)
    if not selectors.has_file(record):
        raise Http404
    phase = selectors.report_phase(record)
    errors = {
        row: [f"{label}: {message}" for label, message in found]
        for row, found in selectors.error_messages(record, phase).items()
    }
    folder = Path(tempfile.mkdtemp(prefix="care365-report-"))
    out = folder / "report.xlsx"
    try:
        with services.stored_file(record) as path:
            table = services.open_stored_table(record, path)
            try:
                write_error_report(table.header, table.rows, errors, out)
            finally:
                table.close()
        handle = out.open("rb")
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # the open handle keeps the data readable
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"care365-import-{record.pk}-errors.xlsx",
        content_type=XLSX,
    )
