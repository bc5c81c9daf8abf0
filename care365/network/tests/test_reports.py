"""Open mandatory reporting through its real pages: a report reaches the police covering the
village at once (no paired officer needed), the reporter gets a receipt that shows the status
and nothing else, the reporter is hidden from everyone but the county's administrators, the
page is rate-limited, an unknown child opens the director's registration task, bad input is
refused with nothing written, and all of it in Chinese and English."""

from __future__ import annotations

import re
from typing import Any

import pytest
import segno
from django.test import Client
from django.urls import reverse

from care365.carers.models import CarerRole
from care365.core.models import AuditEvent, Notice
from care365.network import services
from care365.network.models import MandatoryReport, RegistrationTask, ReportAttempt
from care365.pairing.tests.factories import PairingFactory
from care365.protection import services as alert_services
from care365.protection.models import Alert, FollowUpTask, InAppEvent, Notification, Source
from conftest import Personas

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
URL = "/report/"


def form(p: Personas, **changes: Any) -> dict[str, Any]:
    data = {
        "county": p.county.pk,
        "township": p.township_a.pk,
        "village": p.village_a.pk,
        "child_name": "王小明",
        "child_age": "8",
        "child_where": "村口小卖部旁边的老房子",
        "situation": "abandoned",
        "what_seen": "孩子一个人在家好几天了，没有大人照顾，晚上哭。",
        "reporter_name": "陈老师",
        "reporter_phone": PHONE,
        "reporter_role": "teacher",
    }
    data.update(changes)
    return data


def phone_client(ip: str = "10.0.0.1", language: str = "zh-hans") -> Client:
    """A reporter's phone: no cookies, no CSRF token, its own address."""
    return Client(enforce_csrf_checks=True, REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE=language)


def submit(p: Personas, client: Client | None = None, **changes: Any) -> Any:
    return (client or phone_client()).post(URL, form(p, **changes))


def receipt_of(response: Any) -> str:
    found = re.search(r'id="receipt">([A-Z0-9]+)<', response.content.decode())
    assert found, response.content.decode()[:2000]
    return found.group(1)


def test_report_of_an_unregistered_child_reaches_the_covering_station_at_once(
    personas: Personas,
) -> None:
    response = submit(personas)
    assert response.status_code == 200
    receipt = receipt_of(response)
    assert len(receipt) == services.RECEIPT_LENGTH
    assert set(receipt) <= set(services.RECEIPT_ALPHABET)

    report = MandatoryReport.objects.get()
    alert = Alert.objects.get()
    assert report.alert == alert and report.child is None
    assert (alert.child, alert.village, alert.source) == (None, personas.village_a, Source.REPORT)
    assert alert.raised_by is None and alert.kind == "abandonment" and alert.is_mandatory_report
    # No paired officer: the station covering village A hears of it in the same transaction.
    officer_told = Notification.objects.filter(alert=alert, recipient=personas.officer)
    assert officer_told.filter(channel="in_app", state="sent").exists()
    assert InAppEvent.objects.filter(user=personas.officer, kind="alert").exists()
    assert alert.level == 1  # the station's duty officer (the step before is nobody's)
    # The officer sees the alert, the child as described, and never the reporter.
    client = Client()
    client.force_login(personas.officer)
    page = client.get(reverse("protection:alert-detail", args=[alert.pk])).content.decode()
    assert "王小明" in page and "老房子" in page
    assert "陈老师" not in page and PHONE not in page


def test_the_reporters_name_and_phone_are_encrypted_at_rest(personas: Personas) -> None:
    submit(personas)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reporter_name, reporter_phone, child_name FROM network_mandatoryreport"
        )
        row = cursor.fetchone()
    assert "陈老师" not in row[0] and PHONE not in row[1] and "王小明" not in row[2]
    report = MandatoryReport.objects.get()
    assert (report.reporter_name, report.reporter_phone) == ("陈老师", PHONE)


def test_an_unregistered_child_opens_the_directors_registration_task(personas: Personas) -> None:
    submit(personas)
    task = RegistrationTask.objects.get()
    assert task.assignee == personas.director_a and task.kind == "register"
    assert task.village == personas.village_a and task.state == "open"
    notice = Notice.objects.get(recipient=personas.director_a, kind="registration_task")
    assert "王小明" not in str(notice.params) and "王小明" not in notice.link

    director = Client()
    director.force_login(personas.director_a)
    listing = director.get(reverse("network:mandatory-report-list")).content.decode()
    assert 'id="registration-tasks"' in listing
    done = director.post(
        reverse("network:registration-task-done", args=[task.pk]), {"note": "已登记"}
    )
    assert done.status_code == 302
    task.refresh_from_db()
    assert task.state == "done" and task.done_by == personas.director_a
    # The other village's director has no such task, nor the report.
    other = Client()
    other.force_login(personas.director_b)
    assert (
        other.get(reverse("network:mandatory-report-detail", args=[task.report_id])).status_code
        == 404
    )


def test_a_registered_child_is_linked_and_reaches_the_paired_officer(personas: Personas) -> None:
    PairingFactory.create(
        child=personas.child_a, role=CarerRole.POLICE, carer=personas.officer.carer
    )
    submit(personas, child_name="张小花", child_age="", situation="abuse_injuries")
    report = MandatoryReport.objects.get()
    assert report.child == personas.child_a
    assert report.alert.child == personas.child_a and report.alert.level == 0
    assert report.alert.kind == "suspected_abuse"
    assert not RegistrationTask.objects.exists()
    # A mandatory report opens the director's and the supervisor's follow-ups.
    assert FollowUpTask.objects.filter(alert=report.alert).count() == 2


def test_receipt_look_up_shows_the_status_only(personas: Personas) -> None:
    receipt = receipt_of(submit(personas))
    reporter = phone_client()
    status_url = reverse("network:report-status")

    def look(code: str = receipt, phone: str = PHONE) -> str:
        response = reporter.post(status_url, {"receipt": code, "phone": phone})
        assert response.status_code == 200
        page = response.content.decode()
        for secret in ("王小明", "老房子", "陈老师", personas.officer.carer.name, "police"):  # type: ignore[union-attr]
            assert secret not in page
        found = re.search(r'data-status="(\w+)"', page)
        return found.group(1) if found else ""

    assert look() == "received"
    assert look(receipt.lower()[:5] + "-" + receipt.lower()[5:], "+86 139 1234 5678") == "received"
    assert look(phone="13900000000") == ""  # the same answer for a wrong phone ...
    assert look(code="ABCDEFGHJK") == ""  # ... and a wrong receipt
    alert = MandatoryReport.objects.get().alert
    alert_services.alert_acknowledge(actor=personas.officer, alert=alert)
    assert look() == "acknowledged"
    alert_services.alert_on_the_way(actor=personas.officer, alert=alert)
    assert look() == "on_the_way"
    alert_services.alert_resolve(actor=personas.officer, alert=alert, resolution="safe")
    assert look() == "closed"


def test_the_reporter_is_hidden_from_the_officer_and_the_director(personas: Personas) -> None:
    submit(personas)
    report = MandatoryReport.objects.get()
    url = reverse("network:mandatory-report-detail", args=[report.pk])
    seen: dict[str, str] = {}
    for who in ("admin", "officer", "director_a", "supervisor_a"):
        client = Client()
        client.force_login(getattr(personas, who))
        response = client.get(url)
        assert response.status_code == 200, who
        seen[who] = response.content.decode()
        listing = client.get(reverse("network:mandatory-report-list")).content.decode()
        assert "陈老师" not in listing and PHONE not in listing
    assert "陈老师" in seen["admin"] and PHONE in seen["admin"]
    for who in ("officer", "director_a", "supervisor_a"):
        assert "陈老师" not in seen[who] and PHONE not in seen[who], who
        assert 'id="reporter-hidden"' in seen[who]
        assert "王小明" in seen[who]  # the child as described, for the people who act on it
    # Nobody else: another county's administrator, the doctor, the volunteer.
    for who in ("other_admin", "doctor", "volunteer", "director_b"):
        client = Client()
        client.force_login(getattr(personas, who))
        assert client.get(url).status_code == 404, who


def test_reports_are_rate_limited_per_address_and_per_phone(
    personas: Personas, settings: Any
) -> None:
    settings.REPORTS_PER_HOUR_PER_IP = 5
    settings.REPORTS_PER_HOUR_PER_PHONE = 5
    same_address = phone_client("10.0.0.9")
    for n in range(5):
        response = submit(personas, same_address, reporter_phone=f"1390000000{n}")
        assert response.status_code == 200
    refused = submit(personas, same_address, reporter_phone="13900000009")
    assert refused.status_code == 400
    assert "110" in refused.content.decode() and "太多" in refused.content.decode()
    english = submit(personas, phone_client("10.0.0.9", "en"), reporter_phone="13900000008")
    assert "Too many reports" in english.content.decode()
    assert MandatoryReport.objects.count() == 5
    # One phone from many addresses.
    for n in range(5):
        assert (
            submit(personas, phone_client(f"10.1.0.{n}"), reporter_phone="13711112222").status_code
            == 200
        )
    assert (
        submit(personas, phone_client("10.1.0.99"), reporter_phone="137 1111 2222").status_code
        == 400
    )
    assert MandatoryReport.objects.count() == 10
    # A refused attempt is not kept: it does not lengthen the wait.
    assert ReportAttempt.objects.filter(kind="report").count() == 10


def test_bad_input_gets_clear_errors_and_nothing_is_written(personas: Personas) -> None:
    response = submit(
        personas,
        village="",
        reporter_name="",
        reporter_phone="12345",
        reporter_role="",
        child_name="",
        child_where="",
        child_age="40",
        situation="",
        what_seen="",
    )
    assert response.status_code == 400
    page = response.content.decode()
    for message in (
        "请选择孩子所在的村",
        "请填写您的姓名",
        "手机号",
        "请说明您是谁",
        "孩子的姓名或可以找到孩子的地方",
        "0 到 17",
        "孩子遇到了什么情况",
        "您看到或听到了什么",
    ):
        assert message in page, message
    assert not MandatoryReport.objects.exists() and not Alert.objects.exists()
    assert not ReportAttempt.objects.exists() and not AuditEvent.objects.exists()


def test_an_error_while_storing_leaves_nothing_half_written(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("the outbox is full")

    monkeypatch.setattr(services.reports, "_open_registration_task", lambda *a, **k: broken())
    with pytest.raises(RuntimeError):
        services.mandatory_report_submit(
            village_id=personas.village_a.pk,
            reporter_name="陈老师",
            reporter_phone=PHONE,
            reporter_role="teacher",
            child_name="王小明",
            situation="missing",
            what_seen="好几天没见到孩子",
            client_ip="10.0.0.1",
        )
    assert not MandatoryReport.objects.exists() and not Alert.objects.exists()
    assert not Notification.objects.exists() and not ReportAttempt.objects.exists()


def test_the_page_speaks_chinese_and_english(personas: Personas) -> None:
    chinese = phone_client().get(URL, {"area": personas.village_a.pk}).content.decode()
    english = phone_client(language="en").get(URL, {"area": personas.village_a.pk})
    assert english.status_code == 200
    text = english.content.decode()
    assert "Report a child in danger" in text and "call 110" in text
    assert "Abandoned, or long left unattended" in text
    assert "报告" in chinese and "110" in chinese and "被遗弃" in chinese
    # The poster's area is preselected; the page carries no child at all.
    assert f'<option value="{personas.village_a.pk}" selected>' in chinese
    sent = submit(personas, phone_client(language="en"))
    assert "Your receipt number" in sent.content.decode()


def test_the_poster_encodes_the_page_with_the_area(personas: Personas) -> None:
    client = Client()
    client.force_login(personas.admin)
    for area in (personas.village_a, personas.county):
        page = client.get(reverse("network:report-poster", args=[area.pk])).content.decode()
        url = f"http://testserver/report/?area={area.pk}"
        assert url in page
        # The code drawn is the code of that address.
        assert segno.make(url, error="m").svg_inline(scale=8, border=2, dark="#111") in page
    client.force_login(personas.director_a)
    assert (
        client.get(reverse("network:report-poster", args=[personas.village_a.pk])).status_code
        == 200
    )
    assert (
        client.get(reverse("network:report-poster", args=[personas.village_b.pk])).status_code
        == 404
    )
    client.force_login(personas.other_admin)
    assert (
        client.get(reverse("network:report-poster", args=[personas.village_a.pk])).status_code
        == 404
    )


def test_the_api_shows_the_reporter_to_the_county_administrator_only(
    api: Any, personas: Personas
) -> None:
    submit(personas)
    report = MandatoryReport.objects.get()
    mine = api.get(f"/mandatory-reports/{report.pk}", user=personas.admin).json()
    assert mine["reporter"] == {"name": "陈老师", "phone": PHONE, "role": "teacher"}
    assert mine["status"] == "received" and mine["registered"] is False
    assert mine["registration_task"]["kind"] == "register"
    for who in (personas.officer, personas.director_a, personas.supervisor_a):
        listed = api.get("/mandatory-reports", user=who).json()
        assert listed["count"] == 1 and listed["items"][0]["reporter"] is None
        assert listed["items"][0]["child_described"]["name"] == "王小明"
    assert api.get("/mandatory-reports", user=personas.doctor).status_code == 403
    assert api.get(f"/mandatory-reports/{report.pk}", user=personas.director_b).status_code == 404


def test_the_county_is_chosen_first_without_sending_anything_else(personas: Personas) -> None:
    page = phone_client().get(URL).content.decode()
    chooser = page[page.index('id="county-form"') : page.index('id="report-form"')]
    assert 'method="get"' in page[page.index("<form", page.index("<main")) :][:80]
    assert "reporter_" not in chooser and 'name="county"' in chooser
    assert f'value="{personas.village_a.pk}"' not in page
    chosen = phone_client().get(URL, {"county": personas.county.pk}).content.decode()
    assert 'id="county-form"' not in chosen
    assert f'value="{personas.village_a.pk}"' in chosen
    assert f'value="{personas.other_village.pk}"' not in chosen


def test_the_staff_list_has_a_fixed_query_count(personas: Personas) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from care365.accounts.models import User
    from care365.network.selectors import reports_for_list

    def queries(who: str) -> int:
        user = User.objects.get(username=getattr(personas, who).username)  # nothing cached
        with CaptureQueriesContext(connection) as captured:
            rows = reports_for_list(user)
        assert rows
        return len(captured)

    def reports(n: int, start: int) -> None:
        for i in range(start, start + n):
            name = "张小花" if i % 2 else f"不在册{i}"
            submit(personas, phone_client(f"10.2.0.{i}"), child_name=name, child_age="",
                   reporter_phone=f"1360000{i:04d}")  # fmt: skip

    reports(2, 0)
    few = {who: queries(who) for who in ("admin", "officer", "director_a")}
    reports(6, 2)
    assert {who: queries(who) for who in ("admin", "officer", "director_a")} == few
