"""Reports: the figures against counts made here from what the test put in, the job's progress,
who may download, the xlsx and the PDF read back (openpyxl, pdftotext, pdftoppm), the yearly
comparison, small counts above the county, and `care365 report`."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from care365.areas.models import Area
from care365.care.tests.factories import ContactFactory, ExaminationFactory
from care365.insights.models import Report
from care365.insights.reports import render, services
from care365.insights.reports.access import suppresses_small_counts
from care365.insights.reports.periods import period_parse
from care365.pairing.tests.factories import PairingFactory
from care365.protection import services as alert_services
from care365.protection.models import Alert
from care365.registry.models import Child, ChildStatus, StatusKind
from care365.registry.services import open_statuses_sync
from care365.registry.tests.factories import ChildFactory, LeftBehindChildFactory, status_open
from conftest import Personas

pytestmark = pytest.mark.django_db

JUNE = (date(2025, 6, 1), date(2025, 6, 30))


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=10))


def _table(figures: dict[str, Any], key: str) -> dict[str, list[Any]]:
    table = next(t for t in figures["tables"] if t["key"] == key)
    return dict(table["rows"])


@pytest.fixture
def county(personas: Personas) -> dict[str, Any]:
    """A small county as it stood in June 2025, with what the test counts by hand."""
    p = personas
    kids: dict[str, Child] = {
        "a": p.child_a,  # left-behind girl, village A, 10 years old, primary
        "b": p.child_b,  # left-behind boy, village B
        "teen": ChildFactory.create(
            village=p.village_a, sex="M", birth_date=date(2010, 5, 1), grade="j3"
        ),
        "small": LeftBehindChildFactory.create(
            village=p.village_b, sex="F", birth_date=date(2021, 1, 1), grade="k"
        ),
        "gone": LeftBehindChildFactory.create(village=p.village_a, sex="M"),
        "new": LeftBehindChildFactory.create(village=p.village_a, sex="M", grade="none"),
    }
    status_open(kids["small"], StatusKind.DIFFICULTY_POVERTY, started_on=date(2024, 6, 1))
    # Everyone was registered in January 2025 but the newcomer, registered in mid-June; one
    # child left the registry (moved away) on 10 June.
    Child.objects.filter(pk__in=[c.pk for c in kids.values()]).update(
        registered_at=_at(date(2025, 1, 2))
    )
    Child.objects.filter(pk=kids["new"].pk).update(registered_at=_at(date(2025, 6, 15)))
    Child.objects.filter(pk=kids["gone"].pk).update(
        exited_on=date(2025, 6, 10), exit_reason="moved_away"
    )
    ChildStatus.objects.filter(child=kids["gone"]).update(
        ended_on=date(2025, 6, 10), end_reason="child_exited"
    )
    ChildStatus.objects.filter(child=kids["new"]).update(started_on=date(2025, 6, 15))
    open_statuses_sync([kids["gone"].pk])
    # Child A has all three carers since January; child B an officer only.
    for role, carer in p.carers.items():
        PairingFactory.create(child=kids["a"], role=role, carer=carer, since=date(2025, 1, 5))
    PairingFactory.create(
        child=kids["b"], role="police", carer=p.carers["police"], since=date(2025, 1, 5)
    )
    # Contacts: two home visits and a safety check in June, one home visit in May.
    for day in (date(2025, 6, 3), date(2025, 6, 20)):
        ContactFactory.create(
            child=kids["a"], logged_by=p.director_a, kind="home_visit", occurred_on=day
        )
    ContactFactory.create(
        child=kids["b"], logged_by=p.director_b, kind="safety_check", occurred_on=date(2025, 6, 8)
    )
    ContactFactory.create(
        child=kids["a"], logged_by=p.director_a, kind="home_visit", occurred_on=date(2025, 5, 28)
    )
    ExaminationFactory.create(
        child=kids["a"],
        examined_on=date(2025, 6, 12),
        growth_classes=["stunting"],
        entered_by=p.doctor,
    )
    ExaminationFactory.create(
        child=kids["b"],
        examined_on=date(2024, 12, 1),
        growth_classes=["severe_stunting", "stunting"],
        entered_by=p.doctor,
    )
    # One alert in June (acknowledged after 30 minutes), one in the other county.
    for child in (kids["a"], p.child_other):
        admin = p.admin if child is kids["a"] else p.other_admin
        _link, token = alert_services.help_link_issue(actor=admin, child=child)
        alert = alert_services.alert_raise_from_help_link(token=token)
        Alert.objects.filter(pk=alert.pk).update(
            raised_at=_at(date(2025, 6, 5)),
            acknowledged_at=_at(date(2025, 6, 5)) + timedelta(minutes=30),
        )
    return {"personas": p, "kids": kids}


def _built(
    personas: Personas, *, kind: str = "monthly", period: str = "2025-06", area: Area | None = None
) -> Report:
    report = services.report_request(
        actor=personas.admin, kind=kind, period=period, area=area or personas.county, language="en"
    )
    assert services.reports_build_pending() == 1
    report.refresh_from_db()
    assert report.state == Report.State.DONE, report.error
    assert report.progress == 100
    return report


def test_figures_match_counts_made_by_hand(county: dict[str, Any]) -> None:
    p, kids = county["personas"], county["kids"]
    figures = _built(p).figures
    assert figures is not None
    # On 30 June: a, b, small and new are left-behind (gone left on the 10th); teen has no status.
    present = [k for k in kids if k != "gone"]
    left_behind = ["a", "b", "small", "new"]
    sexes = {k: kids[k].sex for k in kids}
    by_status = _table(figures, "children_by_status")
    assert by_status["left_behind"] == [
        len(left_behind),
        sum(sexes[k] == "M" for k in left_behind),
        sum(sexes[k] == "F" for k in left_behind),
    ]
    assert by_status["difficulty"][0] == 1 == by_status["difficulty_poverty"][0]
    assert by_status["unsupported"] == [0, 0, 0]
    assert by_status["all"][0] == len(present)
    # Ages on 30 June 2025: a and b were born 2015-03-14 (10), small 2021 (4), teen 2010-05-01
    # (15), new 2015 (10).
    ages = _table(figures, "children_by_age")  # columns: left_behind, difficulty, unsupported, all
    assert ages["0-5"] == [1, 1, 0, 1]
    assert ages["6-13"] == [3, 0, 0, 3]
    assert ages["14-15"] == [0, 0, 0, 1]
    guardians = _table(figures, "children_by_guardian")
    assert guardians["grandmother"][0] == 4  # every LeftBehindChildFactory child's carer
    assert guardians["none"][3] == 1  # the teenager has no entrusted carer
    schooling = _table(figures, "children_by_schooling")
    assert schooling["primary"][3] == 2  # a and b (p4)
    assert schooling["junior"][3] == 1
    assert schooling["kindergarten"][0] == 1
    assert schooling["not_in_school"][0] == 1
    pairing = _table(figures, "pairing")  # columns: all, left_behind
    assert pairing["n"] == [5, 4]
    assert pairing["all_three"] == [1, 1]
    assert pairing["some"] == [1, 1]
    assert pairing["none"] == [3, 2]
    assert pairing["police"] == [2, 2] and pairing["doctor"] == [1, 1]
    care = _table(figures, "care")  # columns: due, done, percent, children reached
    assert care["home_visit"][1] == 2 and care["home_visit"][3] == 1
    assert care["safety_check"][1] == 1
    # Home visits are due every 30 days by default (CareSettings): 5 children x 30/30.
    assert care["home_visit"][0] == 5
    health = _table(figures, "health")
    assert health["examinations"] == [1] and health["growth_stunting"] == [1]
    assert health["growth_severe_stunting"] == [0]  # B's was in December
    assert health["examined_within_year"] == [2]
    alerts = _table(figures, "alerts")
    assert alerts["raised"] == [1]  # not the other county's
    assert alerts["ack_minutes_median"] == [30.0]
    movements = _table(figures, "movements")
    assert movements["registered"] == [1]
    assert movements["exit_moved_away"] == [1]
    assert movements["status_start_left_behind"] == [1]
    assert movements["status_end_child_exited"] == [1]
    staff = _table(figures, "staff")
    assert staff["supervisors"] == [1] and staff["directors"] == [2]
    assert staff["carers_police"] == [1]


def test_a_townships_report_counts_its_own_children(county: dict[str, Any]) -> None:
    p = county["personas"]
    figures = _built(p, area=p.township_a).figures
    assert figures is not None
    assert _table(figures, "children_by_status")["all"][0] == 3  # a, teen, new


def test_xlsx_has_a_sheet_per_table_and_the_pdf_its_text(county: dict[str, Any]) -> None:
    p = county["personas"]
    report = _built(p)
    book = load_workbook(io.BytesIO(bytes(report.xlsx or b"")), read_only=True)
    assert book.sheetnames[0] == "About"
    assert "Children by status and sex" in book.sheetnames
    assert "Pairing coverage" in book.sheetnames
    rows = [list(r) for r in book["Children by status and sex"].iter_rows(values_only=True)]
    assert rows[0] == [None, "Children", "Boys", "Girls"]
    assert rows[1] == ["Left-behind", 4, 2, 2]
    pdf = bytes(report.pdf or b"")
    assert pdf.startswith(b"%PDF")
    text = _pdftotext(pdf)
    assert "景宁畲族自治县" in text  # the county's name, in the embedded Chinese font
    assert "Pairing coverage" in text and "2025-06" in text


def _pdftotext(pdf: bytes) -> str:
    tool = shutil.which("pdftotext")
    assert tool, "poppler-utils: scripts/ensure-report-tools installs it"
    done = subprocess.run([tool, "-", "-"], input=pdf, capture_output=True, check=True)  # noqa: S603
    return done.stdout.decode("utf-8")


def test_the_pdf_renders_and_embeds_its_font(county: dict[str, Any], tmp_path: Path) -> None:
    report = _built(county["personas"])
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(bytes(report.pdf or b""))
    tool = shutil.which("pdftoppm")
    assert tool
    page = [tool, "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")]
    subprocess.run(page, check=True)  # noqa: S603  # poppler's own tool, fixed arguments
    assert (tmp_path / "p-1.png").stat().st_size > 1000
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True, text=True)  # noqa: S603, S607
    line = next(
        line for line in fonts.stdout.splitlines() if "Care365CJK" in line or "WenQuanYi" in line
    )
    assert " yes " in line  # embedded


def test_chinese_report_labels(county: dict[str, Any]) -> None:
    p = county["personas"]
    report = services.report_request(
        actor=p.admin, kind="monthly", period="2025-06", area=p.county, language="zh-hans"
    )
    services.reports_build_pending()
    report.refresh_from_db()
    text = _pdftotext(bytes(report.pdf or b""))
    assert "留守儿童" in text and "儿童督导员" in text and "儿童主任" in text


def test_the_page_asks_shows_progress_and_downloads(client: Client, county: dict[str, Any]) -> None:
    p = county["personas"]
    client.force_login(p.admin)
    response = client.post(
        reverse("insights:report-list"),
        {"kind": "monthly", "period": "2025-06", "area": p.county.pk},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "insights:report-detail", kwargs={"report_id": report.pk}
    )
    assert report.requested_by == p.admin and report.state == Report.State.QUEUED
    detail = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    progress_url = reverse("insights:report-progress", kwargs={"report_id": report.pk})
    assert f'hx-get="{progress_url}"' in detail and "<progress" in detail
    assert "<script>" not in detail  # no inline script: htmx is a static file
    # A worker claims it; the progress goes up step by step.
    claimed = services.report_claim_next()
    assert claimed is not None and claimed.pk == report.pk
    seen: list[int] = []
    original = services._progress

    def watch(r: Report, percent: int) -> None:
        original(r, percent)
        seen.append(Report.objects.get(pk=r.pk).progress)

    services._progress = watch  # type: ignore[assignment]
    try:
        services.report_build(claimed)
    finally:
        services._progress = original
    assert seen == sorted(seen) and len(seen) >= 7 and 0 < seen[0] < seen[-1] < 100
    fragment = client.get(progress_url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "hx-get" not in fragment  # done: the polling stops
    assert "download-xlsx" in fragment
    xlsx = client.get(
        reverse("insights:report-download", kwargs={"report_id": report.pk, "fmt": "xlsx"})
    )
    assert xlsx.status_code == 200
    assert "care365-monthly-331127-2025-06.xlsx" in xlsx["Content-Disposition"]
    load_workbook(io.BytesIO(xlsx.content), read_only=True)


def test_only_those_of_the_area_may_see_a_report(client: Client, county: dict[str, Any]) -> None:
    p = county["personas"]
    report = _built(p)
    urls = [
        reverse("insights:report-detail", kwargs={"report_id": report.pk}),
        reverse("insights:report-download", kwargs={"report_id": report.pk, "fmt": "pdf"}),
    ]
    for who, status in (
        (p.admin, 200),
        (p.other_admin, 404),
        (p.supervisor_a, 404),
        (p.director_a, 404),
    ):
        client.force_login(who)
        assert [client.get(u).status_code for u in urls] == [status, status], who.username
    township = _built(p, area=p.township_a)
    client.force_login(p.supervisor_a)
    assert (
        client.get(reverse("insights:report-detail", kwargs={"report_id": township.pk})).status_code
        == 200
    )


def test_a_report_cannot_be_asked_for_elsewhere_or_ahead(county: dict[str, Any]) -> None:
    p = county["personas"]
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.report_request(
            actor=p.admin, kind="monthly", period="2025-06", area=p.other_county, language="en"
        )
    with pytest.raises(ValidationError):
        services.report_request(
            actor=p.supervisor_a, kind="monthly", period="2025-06", area=p.county, language="en"
        )
    this_month = timezone.localdate().strftime("%Y-%m")
    with pytest.raises(ValidationError):
        services.report_request(
            actor=p.admin, kind="monthly", period=this_month, area=p.county, language="en"
        )
    with pytest.raises(ValidationError):
        services.report_request(
            actor=p.admin, kind="quarterly", period="2025-06", area=p.county, language="en"
        )


def test_yearly_report_has_the_change_on_the_year_before(county: dict[str, Any]) -> None:
    p = county["personas"]
    figures = _built(p, kind="yearly", period="2025").figures
    assert figures is not None and figures["previous"]["period"]["label"] == "2024"
    # At the end of 2024 nobody was registered yet (all registered in 2025).
    assert _table(figures["previous"], "children_by_status")["all"][0] == 0
    with translation.override("en"):
        sheets = render.sheets(figures, suppress=False)
    status = next(s for s in sheets if s.title == "Children by status and sex")
    assert (
        status.header[1:4] == ["Children", "Children, year before", "Change (%)"]
        or status.header[2] == "Children, year before"
    )
    # 2025: four left behind at the end of the year (the newcomer included), none a year before:
    # no change can be given from nothing.
    assert status.rows[0][1:4] == [4, 0, ""]


def test_counts_below_five_are_hidden_above_the_county() -> None:
    assert suppresses_small_counts(Area(level="province", code="330000"))
    assert not suppresses_small_counts(Area(level="county", code="331127"))
    figures = {
        "area": {"code": "330000", "name": "浙江省", "level": "province"},
        "period": {
            "kind": "monthly",
            "label": "2025-06",
            "start": "2025-06-01",
            "end": "2025-06-30",
        },
        "tables": [
            {
                "key": "children_by_status",
                "columns": ["children", "boys", "girls"],
                "rows": [["left_behind", [7, 3, 4]], ["unsupported", [0, 0, 0]]],
            }
        ],
    }
    shown = render.sheets(figures, suppress=True)[0].rows
    assert shown[0][1:] == [7, "<5", "<5"]
    assert shown[1][1:] == [0, 0, 0]
    assert render.sheets(figures, suppress=False)[0].rows[0][1:] == [7, 3, 4]


def test_a_dead_workers_report_is_taken_over(county: dict[str, Any]) -> None:
    p = county["personas"]
    report = services.report_request(
        actor=p.admin, kind="monthly", period="2025-06", area=p.county, language="en"
    )
    first = services.report_claim_next()
    assert first is not None
    assert services.report_claim_next() is None  # its lease holds
    later = timezone.now() + timedelta(hours=1)
    again = services.report_claim_next(now=later)
    assert again is not None and again.pk == report.pk and again.attempts == 2


def test_the_command_writes_the_report(county: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "june.xlsx"
    call_command("report", "monthly", "--area", "331127", "--period", "2025-06", "--out", str(out))
    book = load_workbook(out, read_only=True)
    assert "Pairing coverage" in book.sheetnames or "结对覆盖" in book.sheetnames
    report = Report.objects.get()
    assert report.requested_by is None and report.state == Report.State.DONE
    pdf = tmp_path / "q2.pdf"
    call_command(
        "report",
        "quarterly",
        "--area",
        "331127",
        "--period",
        "2025-Q2",
        "--out",
        str(pdf),
        "--language",
        "en",
    )
    assert "Pairing coverage" in _pdftotext(pdf.read_bytes())


def test_periods() -> None:
    assert period_parse("monthly", "2024-02").end == date(2024, 2, 29)
    assert period_parse("quarterly", "2025-Q4").start == date(2025, 10, 1)
    assert period_parse("yearly", "2025").year_before().label == "2024"
