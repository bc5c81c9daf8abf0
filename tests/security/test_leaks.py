"""Attack tests beyond the access matrices: IDOR probes over every child id, nothing about a child
in logs or error pages, malformed and oversized requests refused cleanly."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from care365.accounts.services import api_token_create
from care365.registry.models import Child, Guardian, Parent
from care365.registry.tests.factories import LeftBehindChildFactory
from conftest import Personas

pytestmark = pytest.mark.django_db

API = "/api/v1"


def _secrets(children: list[Child]) -> list[str]:
    """Everything that identifies these children or their families."""
    found: list[str] = []
    for child in children:
        found += [child.name, child.id_number, child.address]
        found += [p.phone for p in Parent.objects.filter(child=child) if p.phone]
        found += [g.phone for g in Guardian.objects.filter(child=child) if g.phone]
    return [s for s in found if s and len(s) >= 2]


def _bearer(user: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token_create(user=user)}"}


def test_idor_probes_over_every_child_id(client: Client, personas: Personas) -> None:
    """Each persona asks for every child in the database by id, through the pages and the API:
    exactly the children in their scope answer, the rest are 404 like a missing id."""
    for _ in range(3):
        LeftBehindChildFactory.create(village=personas.village_b)
    every = list(Child.objects.values_list("pk", flat=True))
    expected_scope = {
        "admin": set(
            Child.objects.filter(village__parent__parent=personas.county).values_list(
                "pk", flat=True
            )
        ),
        "director_a": {personas.child_a.pk},
        "officer": set(),
        "outsider": set(),
        # Above the county: every child here is in their province and prefecture, none opens.
        "prefecture_official": set(),
        "province_official": set(),
    }
    for who, allowed in expected_scope.items():
        user = getattr(personas, who)
        client.force_login(user)
        headers = _bearer(user)
        for pk in [*every, max(every) + 1]:
            page = client.get(reverse("registry:child-detail", args=[pk])).status_code
            api = client.get(f"{API}/children/{pk}", headers=headers).status_code
            want = 200 if pk in allowed else 404
            assert (page, api) == (want, want), (who, pk)
        client.logout()


def test_nothing_about_a_child_reaches_the_logs_or_error_pages(
    client: Client, personas: Personas, caplog: pytest.LogCaptureFixture
) -> None:
    children = [personas.child_a, personas.child_b, personas.child_other]
    secrets = _secrets(children)
    assert len(secrets) >= 9
    caplog.set_level(logging.DEBUG)
    bodies: list[str] = []

    client.force_login(personas.director_a)
    # Reads, a search, out-of-scope and missing children, a refused write, a bad form.
    for url in (
        reverse("registry:child-detail", args=[personas.child_a.pk]),
        reverse("registry:child-detail", args=[personas.child_b.pk]),
        reverse("registry:child-detail", args=[987654]),
        reverse("registry:child-edit", args=[personas.child_other.pk]),
        reverse("registry:child-list") + "?area=999999&age_min=abc",
    ):
        bodies.append(client.get(url).content.decode())
    # A search and a refused registration echo only what the user typed into their own form;
    # they are here for the logs.
    client.post(reverse("registry:child-search"), {"q": personas.child_b.name})
    client.get(reverse("registry:child-list"))
    client.post(
        reverse("registry:child-register"),
        {"name": personas.child_b.name, "id_number": personas.child_b.id_number},
    )
    headers = _bearer(personas.director_a)
    for method, url, body in (
        ("get", f"{API}/children/{personas.child_b.pk}", None),
        (
            "post",
            f"{API}/children",
            {"name": personas.child_b.name, "id_number": personas.child_b.id_number},
        ),
        ("post", f"{API}/children/search", {"q": personas.child_other.id_number}),
        (
            "patch",
            f"{API}/children/{personas.child_a.pk}",
            {"address": personas.child_other.address, "sex": "X"},
        ),
    ):
        response = getattr(client, method)(
            url,
            json.dumps(body) if body else None,
            content_type="application/json",
            headers=headers,
        )
        assert response.status_code < 500
        if method != "get" or response.status_code != 200:
            bodies.append(response.content.decode())

    logged = "\n".join(r.getMessage() for r in caplog.records)
    leaked_to_logs = [s for s in secrets if s in logged]
    assert leaked_to_logs == []
    # Error pages and error answers say nothing about a child the user may not see.
    # (The factories give every family the same phones; those of child A may show.)
    hidden = set(_secrets([personas.child_b, personas.child_other])) - set(
        _secrets([personas.child_a])
    )
    assert [s for s in hidden if any(s in b for b in bodies)] == []


def test_malformed_and_oversized_requests_are_refused_cleanly(
    client: Client, personas: Personas, settings: Any
) -> None:
    headers = _bearer(personas.admin)
    broken = client.post(
        f"{API}/children", "{not json", content_type="application/json", headers=headers
    )
    assert broken.status_code in (400, 422)
    assert set(broken.json()) == {"detail", "errors"}

    big = json.dumps({"name": "张" * 10, "note": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})
    too_big = client.post(f"{API}/children", big, content_type="application/json", headers=headers)
    assert too_big.status_code == 413
    assert set(too_big.json()) == {"detail", "errors"}
    assert Child.objects.count() == 3

    client.force_login(personas.director_a)
    form = client.post(
        reverse("registry:child-search"), {"q": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)}
    )
    assert form.status_code == 413
    assert b"Traceback" not in form.content

    # A file where none is expected, and many fields at once, are refused too.
    many = {f"f{i}": "1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 5)}
    assert client.post(reverse("registry:child-search"), many).status_code == 400
