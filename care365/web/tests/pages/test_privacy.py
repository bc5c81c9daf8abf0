"""A guardian's access request: the county administrator exports the child's whole record."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from care365.accounts.models import AccessLog, AccessPurpose
from conftest import Personas

pytestmark = pytest.mark.django_db


def test_admin_exports_the_whole_record_and_the_export_is_logged(
    client: Client, personas: Personas
) -> None:
    child = personas.child_a
    client.force_login(personas.director_a)
    client.get(reverse("web:child-detail", args=[child.pk]))  # a read the record will list
    client.force_login(personas.admin)
    response = client.post(reverse("web:child-export", args=[child.pk]))
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
        user=personas.admin, child=child, purpose=AccessPurpose.EXPORT, route="web:child-export"
    ).exists()


def test_only_county_admins_export(client: Client, personas: Personas) -> None:
    client.force_login(personas.director_a)
    response = client.post(reverse("web:child-export", args=[personas.child_a.pk]))
    assert response.status_code == 403
    client.force_login(personas.other_admin)
    assert client.post(reverse("web:child-export", args=[personas.child_a.pk])).status_code == 404
