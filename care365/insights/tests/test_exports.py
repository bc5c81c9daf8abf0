"""List exports: the page's filters, the role's columns only, one log entry per file, a CSV
Excel opens in Chinese and an xlsx another library reads."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from care365.accounts.models import AccessLog, ListExport, User
from care365.care.models import RiskScore
from care365.insights.exports.lists import CHILD_COLUMNS, child_columns
from care365.protection import services as alert_services
from care365.registry.tests.factories import ChildFactory, LeftBehindChildFactory
from conftest import Personas

pytestmark = pytest.mark.django_db


def _get(client: Client, user: User, name: str, fmt: str, query: str = "") -> Any:
    client.force_login(user)
    url = reverse(f"insights:export-{name}", kwargs={"fmt": fmt}) + (f"?{query}" if query else "")
    return client.get(url, HTTP_ACCEPT_LANGUAGE="en")


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def _csv(response: Any) -> list[list[str]]:
    raw = _body(response)
    assert raw.startswith("\ufeff".encode())  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def _xlsx(response: Any) -> list[list[Any]]:
    book = load_workbook(io.BytesIO(_body(response)), read_only=True)
    sheet = book.worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_csv_has_a_bom_and_the_children_in_chinese(client: Client, personas: Personas) -> None:
    response = _get(client, personas.admin, "children", "csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="care365-children-')
    rows = _csv(response)
    header, body = rows[0], rows[1:]
    # The admin's county: children A and B, never the other county's child.
    assert sorted(row[header.index("Name")] for row in body) == sorted(["张小花", "李小龙"])


def test_xlsx_opens_and_its_cells_are_the_childrens(client: Client, personas: Personas) -> None:
    rows = _xlsx(_get(client, personas.admin, "children", "xlsx", "sex=F"))
    header, body = rows[0], rows[1:]
    assert len(body) == 1  # the page's filter: girls only
    row = dict(zip(header, body[0], strict=True))
    child = personas.child_a
    assert row["Record no."] == child.pk
    assert row["Name"] == "张小花"
    assert row["Village"] == personas.village_a.name
    assert row["Township"] == personas.township_a.name
    assert row["Entrusted carer"] == "王奶奶"
    # The ID number is masked: its address code only.
    assert row["ID number (masked)"].startswith(child.id_number[:6])
    assert child.id_number not in row["ID number (masked)"]


def test_export_honours_the_pages_filters(client: Client, personas: Personas) -> None:
    ChildFactory.create(village=personas.village_b, name="陈小文", sex="M")
    page = client
    page.force_login(personas.admin)
    listed = page.get(
        reverse("registry:child-list"), {"area": str(personas.township_b.pk), "sex": "M"}
    )
    assert listed.status_code == 200
    shown = {row["id"] for row in listed.context["rows"]}
    query = f"area={personas.township_b.pk}&sex=M"
    rows = _csv(_get(client, personas.admin, "children", "csv", query))
    exported = {int(r[0]) for r in rows[1:]}
    assert exported == shown and len(shown) == 2


def test_search_kept_for_the_page_narrows_the_export_and_is_logged_without_the_text(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.admin)
    client.post(reverse("registry:child-search"), {"q": "小花"})
    url = reverse("insights:export-children", kwargs={"fmt": "csv"})
    rows = _csv(client.get(url, HTTP_ACCEPT_LANGUAGE="en"))
    assert [int(r[0]) for r in rows[1:]] == [personas.child_a.pk]
    entry = ListExport.objects.get()
    assert entry.filters == {"search": "name"}
    assert "小花" not in str(entry.filters)


def test_each_role_gets_only_the_columns_it_sees(client: Client, personas: Personas) -> None:
    supervisor = [str(c.label()) for c in child_columns(personas.supervisor_a)]
    assert "name" in supervisor and "address" in supervisor and "given name" not in supervisor
    volunteer = [str(c.label()) for c in child_columns(personas.volunteer)]
    assert volunteer == ["record no.", "given name", "age", "village", "grade", "interests"]
    officer = [str(c.label()) for c in child_columns(personas.officer)]
    assert "address" in officer and "health notes" not in officer and "status" not in officer
    doctor = [str(c.label()) for c in child_columns(personas.doctor)]
    assert "health notes" in doctor and "address" not in doctor
    assert len(CHILD_COLUMNS) > len(supervisor) > len(officer)


def test_a_directors_file_holds_only_their_village(client: Client, personas: Personas) -> None:
    body = _body(_get(client, personas.director_a, "children", "csv")).decode("utf-8-sig")
    assert "张小花" in body and "李小龙" not in body and "赵小雨" not in body


def test_carers_and_outsiders_may_not_export(client: Client, personas: Personas) -> None:
    for who in (personas.officer, personas.doctor, personas.volunteer, personas.outsider):
        for name in ("children", "carers", "due", "risk", "alerts"):
            assert _get(client, who, name, "csv").status_code == 403
    assert not ListExport.objects.exists()


def test_unknown_format_is_404(client: Client, personas: Personas) -> None:
    assert _get(client, personas.admin, "children", "pdf").status_code == 404


def test_an_invalid_filter_is_left_out_as_on_the_page(client: Client, personas: Personas) -> None:
    rows = _csv(_get(client, personas.admin, "children", "csv", "status=nonsense"))
    assert len(rows) - 1 == 2  # every child of the county, as the page lists them


def test_one_log_entry_per_export_with_count_and_filters(
    client: Client, personas: Personas
) -> None:
    for _ in range(3):
        LeftBehindChildFactory.create(village=personas.village_a)
    reads_before = AccessLog.objects.count()
    response = _get(client, personas.admin, "children", "xlsx", f"area={personas.village_a.pk}")
    _body(response)
    entry = ListExport.objects.get()
    assert entry.user == personas.admin
    assert entry.county == personas.county
    assert entry.list_name == "children" and entry.file_format == "xlsx"
    assert entry.rows == 4
    assert entry.filters == {"area": str(personas.village_a.pk)}
    # Not one access-log row per child.
    assert AccessLog.objects.count() == reads_before
    # The administrators read it on the access-log page.
    client.force_login(personas.admin)
    page = client.get(reverse("accounts:access-log"), {"log": "exports"})
    assert page.status_code == 200
    assert entry in [e for e, _name in page.context["rows"]]
    # Another county's administrator does not.
    client.force_login(personas.other_admin)
    other = client.get(reverse("accounts:access-log"), {"log": "exports"})
    assert list(other.context["rows"]) == []


def test_carers_export_is_the_carers_list(client: Client, personas: Personas) -> None:
    rows = _csv(_get(client, personas.admin, "carers", "csv", "role=police"))
    assert [r[0] for r in rows[1:]] == [personas.officer.carer.name]  # type: ignore[union-attr]
    assert ListExport.objects.get().filters == {"role": "police"}


def test_due_export_matches_the_due_list(client: Client, personas: Personas) -> None:
    client.force_login(personas.supervisor_a)
    page = client.get(reverse("care:care-due"))
    total = page.context["page"].paginator.count
    rows = _csv(_get(client, personas.supervisor_a, "due", "csv"))
    assert len(rows) - 1 == total > 0
    assert {int(r[0]) for r in rows[1:]} == {personas.child_a.pk}
    assert ListExport.objects.get().rows == total


def test_risk_export(client: Client, personas: Personas) -> None:
    RiskScore.objects.create(
        child=personas.child_a,
        village=personas.child_a.village,
        score=9,
        on_list=True,
        reasons=[{"reason": "low_mood", "points": 9}],
        computed_on="2025-01-01",
    )
    rows = _xlsx(_get(client, personas.admin, "risk", "xlsx"))
    assert rows[1][:4] == [personas.child_a.pk, "张小花", personas.village_a.name, 9]
    assert "+9" in rows[1][4]


def test_alerts_export_names_the_child_as_the_board_does(
    client: Client, personas: Personas
) -> None:
    _link, token = alert_services.help_link_issue(actor=personas.admin, child=personas.child_a)
    alert = alert_services.alert_raise_from_help_link(token=token)
    rows = _csv(_get(client, personas.director_a, "alerts", "csv"))
    assert [int(r[0]) for r in rows[1:]] == [alert.pk]
    assert rows[1][5] == "张小花"
    assert _csv(_get(client, personas.director_b, "alerts", "csv"))[1:] == []


def test_export_links_on_the_pages_for_those_who_may(client: Client, personas: Personas) -> None:
    client.force_login(personas.admin)
    page = client.get(reverse("registry:child-list"), {"sex": "F"}).content.decode()
    assert reverse("insights:export-children", kwargs={"fmt": "csv"}) + "?sex=F" in page
    client.force_login(personas.volunteer)
    page = client.get(reverse("registry:child-list")).content.decode()
    assert "/exports/" not in page


def test_csv_cells_that_look_like_formulas_are_text(client: Client, personas: Personas) -> None:
    ChildFactory.create(village=personas.village_a, name="=HYPERLINK(1)", school="@SUM(A1)")
    body = _body(_get(client, personas.admin, "children", "csv")).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in body and "'@SUM(A1)" in body
