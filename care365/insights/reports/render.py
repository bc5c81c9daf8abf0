"""A report's figures as .xlsx (a sheet per table) and as PDF (Chinese text in an embedded
font), in the report's language, with counts below 5 shown as "<5" for areas above the county.

The PDF is set with ReportLab in WenQuanYi Micro Hei, a TrueType font that Debian packages
(`fonts-wqy-microhei`, installed by `scripts/ensure-report-tools`, which `make` runs); ReportLab
embeds the subset of its glyphs the report uses, so the PDF shows the same on any reader.
CARE365_REPORT_FONT names another TrueType (.ttf/.ttc) font with Chinese glyphs.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from care365.core.exports import xlsx_write
from care365.insights.reports.figures import AGE_BANDS, SCHOOLING

FONT_NAME = "Care365CJK"
SMALL = 5  # counts below this show as "<5" in areas above the county


class ReportFontMissingError(RuntimeError):
    """The font with Chinese glyphs the PDF needs is not installed."""


# --- labels ----------------------------------------------------------------------------------

TITLES = {
    "children_by_status": gettext_lazy("Children by status and sex"),
    "children_by_age": gettext_lazy("Children by age band"),
    "children_by_guardian": gettext_lazy("Children by entrusted carer"),
    "children_by_schooling": gettext_lazy("Children by schooling"),
    "pairing": gettext_lazy("Pairing coverage"),
    "care": gettext_lazy("Contacts done and due"),
    "health": gettext_lazy("Health and screening"),
    "alerts": gettext_lazy("Alerts"),
    "movements": gettext_lazy("Entries and exits"),
    "staff": gettext_lazy("Who serves the children"),
}
COLUMNS = {
    "children": gettext_lazy("children"),
    "boys": gettext_lazy("boys"),
    "girls": gettext_lazy("girls"),
    "left_behind": gettext_lazy("left-behind"),
    "difficulty": gettext_lazy("in difficulty"),
    "unsupported": gettext_lazy("de-facto unsupported"),
    "all": gettext_lazy("all registered children"),
    "due": gettext_lazy("due"),
    "done": gettext_lazy("done"),
    "percent": gettext_lazy("done (percent)"),
    "children_reached": gettext_lazy("children reached"),
    "n": gettext_lazy("number"),
}


def _row_label(table: str, key: str) -> str:
    from care365.care.models import PlanKind
    from care365.carers.models import CarerRole
    from care365.protection.models import Kind
    from care365.registry.models import (
        ExitReason,
        GuardianRelationship,
        StatusEndReason,
        StatusKind,
    )

    fixed: dict[str, Any] = {
        "left_behind": _("left-behind"),
        "difficulty": _("in difficulty (any kind)"),
        "all": _("all registered children"),
        "none": _("none recorded"),
        "boarding": _("boarding at school"),
        "not_in_school": _("not in school"),
        "kindergarten": _("kindergarten"),
        "primary": _("primary school"),
        "junior": _("junior middle school"),
        "senior": _("senior middle school"),
        "vocational": _("vocational school"),
        "dropped_out": _("dropped out"),
        "n": _("children"),
        "all_three": _("with all three carers"),
        "some": _("with some of them"),
        "examinations": _("examinations"),
        "children_examined": _("children examined"),
        "growth_stunting": _("stunting"),
        "growth_severe_stunting": _("severe stunting"),
        "growth_thinness": _("thinness"),
        "growth_overweight": _("overweight"),
        "growth_obesity": _("obesity"),
        "children_present": _("children at the end of the period"),
        "examined_within_year": _("of them examined within the last 12 months"),
        "screenings": _("wellbeing screenings"),
        "children_screened": _("children screened"),
        "screenings_above_cutoff": _("screenings above the cut-off"),
        "referrals": _("referrals to a doctor"),
        "self_harm_follow_ups": _("same-day follow-ups of a self-harm answer"),
        "raised": _("alerts raised"),
        "mandatory": _("of them mandatory reports"),
        "acknowledged": _("acknowledged"),
        "with_child": _("someone reached the child"),
        "resolved": _("resolved"),
        "ack_minutes_median": _("minutes to acknowledge (median)"),
        "ack_minutes_p90": _("minutes to acknowledge (90th percentile)"),
        "registered": _("children registered"),
        "supervisors": _("township supervisors (儿童督导员)"),
        "directors": _("village children's directors (儿童主任)"),
        "wishes_posted": _("small wishes posted"),
        "wishes_fulfilled": _("small wishes fulfilled"),
    }
    if table == "pairing" and key in fixed and key == "none":
        return _("with none")
    if key in fixed:
        return str(fixed[key])
    for prefix, choices, template in (
        ("kind_", Kind, None),
        ("exit_", ExitReason, _("left the registry: %(what)s")),
        ("status_start_", StatusKind, _("status started: %(what)s")),
        ("status_end_", StatusEndReason, _("status ended: %(what)s")),
        ("carers_", CarerRole, _("active carers: %(what)s")),
    ):
        if key.startswith(prefix):
            what = _choice(choices, key[len(prefix) :])
            return template % {"what": what} if template else what
    for named in (StatusKind, GuardianRelationship, CarerRole, PlanKind):
        if key in named.values:
            return _choice(named, key)
    if any(key == band for band, _lo, _hi in AGE_BANDS):
        return _("aged %(band)s") % {"band": key}
    if key in SCHOOLING:
        return key
    return key


def _choice(choices: Any, value: str) -> str:
    try:
        return str(capfirst(choices(value).label))
    except ValueError:
        return value


# --- cells -----------------------------------------------------------------------------------


def cell(value: int | float | None, *, suppress: bool) -> str | int | float:
    """A figure as shown: "" for none, "<5" for a count of 1 to 4 where counts are suppressed."""
    if value is None:
        return ""
    if suppress and isinstance(value, int) and 0 < value < SMALL:
        return "<5"
    return value


def _change(now: int | float | None, before: int | float | None) -> float | str:
    if not isinstance(now, int | float) or not isinstance(before, int | float) or not before:
        return ""
    return round(100 * (now - before) / before, 1)


@dataclass(frozen=True)
class Sheet:
    title: str
    header: list[str]
    rows: list[list[Any]]


def sheets(figures: dict[str, Any], *, suppress: bool) -> list[Sheet]:
    """The report's tables with their labels; a yearly report (whose figures carry the year
    before's) gets, for each column, the year, the year before and the change in %."""
    before = {t["key"]: t for t in (figures.get("previous") or {}).get("tables", [])}
    result = []
    for table in figures["tables"]:
        key = table["key"]
        columns = [str(capfirst(COLUMNS.get(c, c))) for c in table["columns"]]
        prior = before.get(key)
        if prior is None:
            header = ["", *columns]
        else:
            header = [""]
            for c in columns:
                header += [c, _("%(what)s, year before") % {"what": c}, _("change (%)")]
        old_rows = dict(prior["rows"]) if prior else {}
        rows: list[list[Any]] = []
        for row_key, values in table["rows"]:
            line: list[Any] = [str(capfirst(_row_label(key, row_key)))]
            if prior is None:
                line += [cell(v, suppress=suppress) for v in values]
            else:
                old = old_rows.get(row_key, [None] * len(values))
                for now, then in zip(values, old, strict=False):
                    hidden = suppress and any(
                        isinstance(v, int) and 0 < v < SMALL for v in (now, then)
                    )
                    line += [
                        cell(now, suppress=suppress),
                        cell(then, suppress=suppress),
                        "" if hidden else _change(now, then),
                    ]
            rows.append(line)
        result.append(Sheet(str(TITLES.get(key, key)), header, rows))
    return result


def report_heading(figures: dict[str, Any]) -> tuple[str, str]:
    area = figures["area"]
    period = figures["period"]
    kinds = {"monthly": _("Monthly report"), "quarterly": _("Quarterly report")}
    kind = kinds.get(period["kind"], _("Yearly report"))
    title = f"{area['name']} · {kind} · {period['label']}"
    subtitle = _(
        "Left-behind children and children in difficulty, %(start)s to %(end)s. Children are "
        "counted as they stood on the last day."
    ) % {"start": period["start"], "end": period["end"]}
    return title, subtitle


# --- xlsx ------------------------------------------------------------------------------------


def render_xlsx(figures: dict[str, Any], *, language: str, suppress: bool) -> bytes:
    with translation.override(language):
        title, subtitle = report_heading(figures)
        tables = sheets(figures, suppress=suppress)
        about = Sheet(
            _("About"),
            [_("Report"), title],
            [
                [_("Period"), subtitle],
                [_("Made at"), timezone.localtime().strftime("%Y-%m-%d %H:%M")],
                *(
                    [[_("Small counts"), _("Counts from 1 to 4 are shown as <5.")]]
                    if suppress
                    else []
                ),
            ],
        )
        out = io.BytesIO()
        xlsx_write(
            out,
            [(s.title, s.header, s.rows) for s in [about, *tables]],
            constant_memory=False,
        )
        return out.getvalue()


# --- PDF -------------------------------------------------------------------------------------


@cache
def _font(path: str) -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if not Path(path).is_file():
        raise ReportFontMissingError(path)
    pdfmetrics.registerFont(TTFont(FONT_NAME, path, subfontIndex=0))
    return FONT_NAME


def render_pdf(figures: dict[str, Any], *, language: str, suppress: bool) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        TableStyle,
    )
    from reportlab.platypus import Table as PdfTable

    font = _font(settings.REPORT_FONT)
    with translation.override(language):
        title, subtitle = report_heading(figures)
        tables = sheets(figures, suppress=suppress)
        made = timezone.localtime().strftime("%Y-%m-%d %H:%M")
        footer = _("Care365 · made at %(at)s") % {"at": made}
        if suppress:
            footer += " · " + _("Counts from 1 to 4 are shown as <5.")
    h1 = ParagraphStyle("h1", fontName=font, fontSize=16, leading=22, spaceAfter=4)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13)
    small = ParagraphStyle("small", fontName=font, fontSize=8, leading=10)
    story: list[Any] = [Paragraph(_escape(title), h1), Paragraph(_escape(subtitle), body)]
    width = A4[0] - 30 * mm
    for sheet in tables:
        data = [
            [Paragraph(_escape(str(h)), small) for h in sheet.header],
            *([Paragraph(_escape(str(r[0])), small), *map(_text, r[1:])] for r in sheet.rows),
        ]
        first = width * (0.4 if len(sheet.header) <= 5 else 0.28)
        rest = (width - first) / max(len(sheet.header) - 1, 1)
        grid = PdfTable(data, colWidths=[first] + [rest] * (len(sheet.header) - 1), repeatRows=1)
        grid.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), font),
                    ("FONTSIZE", (0, 0), (-1, -1), 8),
                    ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f5")),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9aa5ad")),
                ]
            )
        )
        story.append(KeepTogether([Paragraph(_escape(sheet.title), h2), grid]))
    story += [Spacer(1, 6 * mm), Paragraph(_escape(footer), small)]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=title,
        author="Care365",
    )
    doc.build(story)
    return out.getvalue()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)
