"""A guardian's access request: the county administrator exports the child's whole record."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from care365.accounts.access import children_for_user
from care365.accounts.models import AccessGrant, AccessLog, AccessPurpose
from care365.core.ledger import chain_verify
from care365.core.models import Notice
from care365.pairing.models import Pairing
from care365.registry.models import Consent, ConsentPurpose
from care365.registry.tests.factories import LeftBehindChildFactory
from conftest import Personas

pytestmark = pytest.mark.django_db


def test_admin_exports_the_whole_record_and_the_export_is_logged(
    client: Client, personas: Personas
) -> None:
    child = personas.child_a
    client.force_login(personas.director_a)
    client.get(reverse("registry:child-detail", args=[child.pk]))  # a read the record will list
    client.force_login(personas.admin)
    response = client.post(
        reverse("registry:child-export", args=[child.pk]),
        {"export-reason": "监护人申请查阅孩子的全部记录"},
    )
    assert response.status_code == 200
    assert (
        response["Content-Disposition"] == f'attachment; filename="care365-child-{child.pk}.json"'
    )
    assert child.name not in response["Content-Disposition"]
    record = json.loads(response.content)
    assert record["format"] == "care365.child-record/1"
    assert record["child"]["name"] == child.name
    assert record["child"]["id_number"] == child.id_number  # in full, for the guardian
    assert {p["role"] for p in record["child"]["parents"]} == {"father", "mother"}
    assert [(r["user"], r["purpose"]) for r in record["reads"]][:1] == [
        (personas.director_a.get_full_name() or "director", "view")
    ]
    assert AccessLog.objects.filter(
        user=personas.admin,
        child=child,
        purpose=AccessPurpose.EXPORT,
        route="registry:child-export",
        reason="监护人申请查阅孩子的全部记录",
    ).exists()


def test_only_county_admins_export(client: Client, personas: Personas) -> None:
    client.force_login(personas.director_a)
    response = client.post(reverse("registry:child-export", args=[personas.child_a.pk]))
    assert response.status_code == 403
    client.force_login(personas.other_admin)
    assert (
        client.post(reverse("registry:child-export", args=[personas.child_a.pk])).status_code == 404
    )


def test_break_the_glass_opens_a_child_outside_scope_for_a_while(
    client: Client, personas: Personas, settings: Any
) -> None:
    settings.BREAK_GLASS_MINUTES = 30
    child = personas.child_b  # village B: outside director A's village
    url = reverse("registry:child-detail", args=[child.pk])
    client.force_login(personas.director_a)
    assert client.get(url).status_code == 404

    short = client.post(
        reverse("accounts:child-break-glass"), {"id_number": child.id_number, "reason": "急"}
    )
    assert short.status_code == 400 and "reason" in short.context["form"].errors
    wrong = client.post(
        reverse("accounts:child-break-glass"),
        {"id_number": personas.child_other.id_number, "reason": "代班处理紧急情况，儿童走失"},
    )
    assert wrong.status_code == 400 and "id_number" in wrong.context["form"].errors
    assert not AccessGrant.objects.exists()

    opened = client.post(
        reverse("accounts:child-break-glass"),
        {"id_number": child.id_number, "reason": "代同事值班，儿童走失"},
    )
    assert opened.status_code == 302 and opened["Location"] == url
    assert child.id_number not in opened["Location"]
    assert client.get(url).status_code == 200
    logged = AccessLog.objects.get(purpose=AccessPurpose.BREAK_GLASS, outcome="allowed")
    assert (logged.user, logged.child, logged.reason) == (
        personas.director_a,
        child,
        "代同事值班，儿童走失",
    )
    notice = Notice.objects.get(recipient=personas.admin, kind="break_glass")
    assert notice.params["child"] == child.pk and child.name not in str(notice.params)
    assert not Notice.objects.filter(recipient=personas.other_admin).exists()

    # When the time is up, the child is out of reach again.
    AccessGrant.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(url).status_code == 404


def test_unusual_access_is_told_to_the_county_admins_once(
    client: Client, personas: Personas, settings: Any
) -> None:
    settings.UNUSUAL_ACCESS_PER_HOUR = 3
    children = [LeftBehindChildFactory.create(village=personas.village_a) for _ in range(4)]
    client.force_login(personas.director_a)
    for child in children:
        assert client.get(reverse("registry:child-detail", args=[child.pk])).status_code == 200
    notices = Notice.objects.filter(kind="unusual_access")
    assert [(n.recipient, n.params["user"], n.params["children"]) for n in notices] == [
        (personas.admin, "director", 3)
    ]


def test_admin_filters_the_access_log(client: Client, personas: Personas) -> None:
    client.force_login(personas.director_a)
    client.get(reverse("registry:child-detail", args=[personas.child_a.pk]))
    client.force_login(personas.director_b)
    client.get(reverse("registry:child-detail", args=[personas.child_b.pk]))
    client.force_login(personas.other_admin)
    client.get(reverse("registry:child-detail", args=[personas.child_other.pk]))
    client.force_login(personas.admin)
    page = client.get(reverse("accounts:access-log"), {"username": "director"})
    assert [(e.user.username, e.child_id) for e in page.context["page"].object_list] == [
        ("director", personas.child_a.pk)
    ]
    everyone = client.get(reverse("accounts:access-log"))
    assert {e.child_id for e in everyone.context["page"].object_list} == {
        personas.child_a.pk,
        personas.child_b.pk,
    }  # the other county's reads are not shown
    html = everyone.content.decode()
    assert personas.child_a.name in html and personas.child_other.name not in html


def test_the_access_log_is_chained(client: Client, personas: Personas) -> None:
    client.force_login(personas.director_a)
    for _ in range(3):
        client.get(reverse("registry:child-detail", args=[personas.child_a.pk]))
    assert chain_verify(AccessLog) == (3, None)


def test_a_volunteer_sees_a_child_only_while_the_guardian_consents(personas: Personas) -> None:
    child, volunteer = personas.child_a, personas.volunteer
    Pairing.objects.create(
        child=child, role="volunteer", carer=personas.carers["volunteer"], since=date(2026, 1, 1)
    )
    assert list(children_for_user(volunteer)) == []  # paired, but no consent on record
    consent = Consent.objects.create(
        child=child, purpose=ConsentPurpose.VOLUNTEER, given_on=date(2026, 1, 1)
    )
    assert list(children_for_user(volunteer)) == [child]
    Consent.objects.filter(pk=consent.pk).update(withdrawn_on=date(2026, 2, 1))
    assert list(children_for_user(volunteer)) == []


def test_admin_sees_changes_to_children_without_their_values(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.director_a)
    client.post(
        reverse("registry:status-add", args=[personas.child_a.pk]),
        {"add-kind": "difficulty_poverty"},
    )
    client.post(
        reverse("pairing:consent-record", args=[personas.child_a.pk]),
        {"consent-purpose": "health_screening", "consent-reference": "JN-9"},
    )
    client.force_login(personas.admin)
    page = client.get(reverse("accounts:access-log"), {"log": "changes", "username": "director"})
    rows = [(e.object_id, e.action) for e in page.context["page"].object_list]
    assert (personas.child_a.pk, "consent_record") in rows
    assert all(child == personas.child_a.pk for child, _action in rows)
    assert "JN-9" not in page.content.decode()
