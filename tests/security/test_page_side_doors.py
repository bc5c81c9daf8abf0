"""Side doors through the pages (issue 12): break-the-glass offered to responders only, ID-number
probes kept and decided as transfer requests by the county, refusals shown as refusals in the
access log, and names normalised."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.urls import reverse

from care365.accounts.models import AccessGrant, AccessLog, AccessPurpose
from care365.core.models import AuditEvent
from care365.registry.models import Child, TransferRequest
from care365.registry.tests.test_pages import error_beside, registration
from conftest import Personas

if TYPE_CHECKING:  # the test client's response type exists only in django-stubs
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

REASON = "代同事值班，儿童走失，需要监护人电话"
PLACES = ("东弄村", "鹤溪街道", "景宁", "大赤坑村", "红星街道", "庆元")
EMERGENCY = 'href="/children/open/"'


def _probe(client: Client, personas: Personas, language: str = "en") -> Response:
    """Director B registers, in village B, a child with child A's ID number."""
    child = personas.child_a
    client.force_login(personas.director_b)
    return client.post(
        reverse("registry:child-register"),
        registration(
            personas.village_b,
            id_number=child.id_number,
            birth_date=child.birth_date.isoformat(),
            sex=child.sex,
            name="陈小花",
        ),
        HTTP_ACCEPT_LANGUAGE=language,
    )


# ---- finding 3 ------------------------------------------------------------------------------


def test_break_the_glass_is_neither_offered_nor_open_to_a_volunteer(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.volunteer)
    assert EMERGENCY not in client.get(reverse("registry:child-list")).content.decode()
    assert client.get(reverse("accounts:child-break-glass")).status_code == 403

    posted = client.post(
        reverse("accounts:child-break-glass"),
        {"id_number": personas.child_b.id_number, "reason": REASON},
    )

    assert posted.status_code == 403
    assert not AccessGrant.objects.exists()
    entry = AccessLog.objects.get(child=personas.child_b)
    assert (entry.user, entry.purpose, entry.outcome) == (
        personas.volunteer,
        AccessPurpose.BREAK_GLASS,
        "refused",
    )


@pytest.mark.parametrize("who", ["officer", "doctor", "director_a", "supervisor_a"])
def test_break_the_glass_is_offered_to_responders(
    client: Client, personas: Personas, who: str
) -> None:
    client.force_login(getattr(personas, who))
    assert EMERGENCY in client.get(reverse("registry:child-list")).content.decode()
    assert client.get(reverse("accounts:child-break-glass")).status_code == 200


def test_break_the_glass_is_not_offered_to_a_county_administrator(
    client: Client, personas: Personas
) -> None:
    """Break-the-glass opens only children of one's own county, all of which a county
    administrator sees already: the list offers no emergency access they would never need."""
    client.force_login(personas.admin)
    html = client.get(reverse("registry:child-list")).content.decode()
    assert reverse("accounts:child-break-glass") not in html
    assert EMERGENCY not in html


# ---- finding 6 ------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_registration_probe_says_nothing_of_where_and_is_kept(
    client: Client, personas: Personas, language: str
) -> None:
    response = _probe(client, personas, language)

    assert response.status_code == 400
    errors = error_beside(response.content.decode(), "id_number")
    assert errors and not [p for p in PLACES if p in errors[0]]
    assert ("already registered" if language == "en" else "已经登记") in errors[0]
    entry = AccessLog.objects.get(child=personas.child_a)
    assert (entry.user, entry.purpose, entry.outcome, entry.route) == (
        personas.director_b,
        AccessPurpose.PROBE,
        "refused",
        "registry:child-register",
    )
    assert TransferRequest.objects.filter(
        child=personas.child_a, village=personas.village_b, status="open"
    ).exists()


def test_the_county_admin_sees_the_probe_and_moves_the_child(
    client: Client, personas: Personas
) -> None:
    _probe(client, personas)
    child = personas.child_a
    client.force_login(personas.admin)
    home = client.get(reverse("web:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse("registry:transfer-list") in home
    assert "a transfer request is waiting for you" in home
    log = client.get(
        reverse("accounts:access-log"),
        {"purpose": "probe", "outcome": "refused"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert [(e.user.username, e.child_id) for e in log.context["page"].object_list] == [
        ("director_b", child.pk)
    ]
    assert "Refused" in log.content.decode()

    listed = client.get(reverse("registry:transfer-list"))
    assert [t.child_id for t in listed.context["open"]] == [child.pk]
    assert child.name not in listed.content.decode()
    transfer = TransferRequest.objects.get()
    moved = client.post(reverse("registry:transfer-decide", args=[transfer.pk, "accept"]))

    assert moved.status_code == 302
    child.refresh_from_db()
    assert child.village == personas.village_b
    transfer.refresh_from_db()
    assert (transfer.status, transfer.decided_by) == ("accepted", personas.admin)
    assert set(AuditEvent.objects.filter(object_id=child.pk).values_list("action", flat=True)) >= {
        "transfer_request_open",
        "child_update",
        "transfer_request_decide",
    }
    again = client.post(
        reverse("registry:transfer-decide", args=[transfer.pk, "decline"]), follow=True
    )
    assert again.status_code == 404  # no longer open
    client.force_login(personas.director_b)
    assert client.get(reverse("registry:child-detail", args=[child.pk])).status_code == 200


def test_a_declined_transfer_leaves_the_child_where_it_is(
    client: Client, personas: Personas
) -> None:
    _probe(client, personas)
    transfer = TransferRequest.objects.get()
    client.force_login(personas.admin)
    client.post(reverse("registry:transfer-decide", args=[transfer.pk, "decline"]))

    transfer.refresh_from_db()
    assert transfer.status == "declined"
    assert Child.objects.get(pk=personas.child_a.pk).village == personas.village_a
    decided = client.get(reverse("registry:transfer-list"))
    assert decided.context["open"] == [] and decided.context["decided"] == [transfer]


def test_only_the_childs_county_admins_decide_transfers(client: Client, personas: Personas) -> None:
    _probe(client, personas)
    transfer = TransferRequest.objects.get()
    url = reverse("registry:transfer-decide", args=[transfer.pk, "accept"])
    for who, listing, deciding in (
        ("director_a", 403, 403),
        ("supervisor_a", 403, 403),
        ("other_admin", 200, 404),
    ):
        client.force_login(getattr(personas, who))
        assert client.get(reverse("registry:transfer-list")).status_code == listing, who
        assert client.post(url).status_code == deciding, who
    assert TransferRequest.objects.get().status == "open"


# ---- finding 10 -----------------------------------------------------------------------------


def test_a_refused_export_is_logged_as_a_refusal(client: Client, personas: Personas) -> None:
    client.force_login(personas.director_a)
    response = client.post(reverse("registry:child-export", args=[personas.child_a.pk]))

    assert response.status_code == 403
    entry = AccessLog.objects.get()
    assert (entry.purpose, entry.outcome) == (AccessPurpose.EXPORT, "refused")
    # The guardian's copy of the record lists the refusal as one.
    client.force_login(personas.admin)
    record = client.post(
        reverse("registry:child-export", args=[personas.child_a.pk]),
        {"export-reason": "监护人申请查阅孩子的全部记录"},
    ).json()
    assert [(r["purpose"], r["outcome"]) for r in record["reads"]] == [
        ("export", "refused"),
        ("export", "allowed"),
    ]


def test_a_volunteers_refused_examination_page_is_logged_as_a_refusal(
    client: Client, personas: Personas
) -> None:
    from care365.care.tests.factories import team

    child = team(personas)
    client.force_login(personas.volunteer)
    response = client.get(reverse("care:care-exam-record", args=[child.pk]))

    assert response.status_code == 403
    assert list(AccessLog.objects.values_list("route", "outcome")) == [
        ("care:care-exam-record", "refused")
    ]


# ---- finding 12 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "message"), [("en", "not a name"), ("zh-hans", "不能算作姓名")]
)
def test_a_name_of_invisible_characters_is_refused_on_the_page(
    client: Client, personas: Personas, language: str, message: str
) -> None:
    client.force_login(personas.director_a)
    response = client.post(
        reverse("registry:child-register"),
        registration(personas.village_a, name="\u200b\u2060"),
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert response.status_code == 400
    assert any(message in e for e in error_beside(response.content.decode(), "name"))
    assert not Child.objects.filter(name="").exists()


def test_a_name_is_saved_normalised_from_the_page(client: Client, personas: Personas) -> None:
    client.force_login(personas.director_a)
    response = client.post(
        reverse("registry:child-register"),
        registration(personas.village_a, name="陈\ufeff小梅\u3000"),
    )

    assert response.status_code == 302
    assert Child.objects.filter(name="陈小梅").count() == 1


def test_the_changes_tab_names_each_change_in_the_readers_language(
    client: Client, personas: Personas
) -> None:
    """The access log's "Changes" tab shows what was done in words, not the audit's codes."""
    _probe(client, personas)
    client.force_login(personas.admin)
    url = reverse("accounts:access-log")
    english = client.get(url, {"log": "changes"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Transfer requested" in english and "transfer_request_open" not in english
    chinese = client.get(url, {"log": "changes"}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "提出迁移申请" in chinese and "transfer_request_open" not in chinese
