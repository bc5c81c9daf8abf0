"""`care365 report monthly|quarterly|yearly --area CODE --period P --out FILE`: make a report
now, keep it like one asked for on the page, and write it to FILE (.xlsx or .pdf)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from care365.areas.models import Area
from care365.insights.reports import services
from care365.insights.reports.models import Report


class Command(BaseCommand):
    help = "Make a monthly, quarterly or yearly report of an area and write it to a file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=Report.Kind.values)
        parser.add_argument("--area", required=True, help="the area's division code")
        parser.add_argument(
            "--period", required=True, help="2025-06 (monthly), 2025-Q2 (quarterly), 2025"
        )
        parser.add_argument("--out", required=True, help="the file to write: .xlsx or .pdf")
        parser.add_argument("--language", default="zh-hans", help="zh-hans (default) or en")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        fmt = out.suffix.lower().lstrip(".")
        if fmt not in ("xlsx", "pdf"):
            raise CommandError("--out must end in .xlsx or .pdf")
        area = Area.objects.filter(code=options["area"]).first()
        if area is None:
            raise CommandError(f"no area has the code {options['area']}")
        try:
            report = services.report_create_for_command(
                kind=options["kind"],
                period=options["period"],
                area=area,
                language=options["language"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        started = time.perf_counter()
        claimed = services.report_claim_next(pk=report.pk)
        if claimed is None:
            raise CommandError("the report was taken by a worker; find it on the reports page")
        services.report_build(claimed)
        report.refresh_from_db()
        if report.state != Report.State.DONE:
            raise CommandError(f"the report failed: {report.error}")
        content = report.xlsx if fmt == "xlsx" else report.pdf
        assert content is not None  # noqa: S101  # a report that is done has both files
        out.write_bytes(bytes(content))
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"report {report.pk} of {area.name} {report.period}: {out} ({seconds:.1f} s)"
        )
