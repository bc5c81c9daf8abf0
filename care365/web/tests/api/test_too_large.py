"""A body over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) answers 413 in the API's error shape, and
every operation that takes a body says so in the schema (issue 12, finding 13)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import pytest
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.test import Client

from care365.accounts.tests.api_client import Api, operations
from conftest import Personas

pytestmark = pytest.mark.django_db

HUGE = "灾" * 1_000_000  # 3 MB in UTF-8


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_oversized_body_answers_413_in_the_error_shape(
    api: Api, personas: Personas, language: str
) -> None:
    body = {"child": personas.child_a.pk, "kind": "danger", "note": HUGE}

    response = api.call("POST", "/alerts", user=personas.admin, body=body, language=language)

    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert set(data) == {"detail", "errors"} and data["errors"] == {}
    assert "2.5 MB" in data["detail"]
    assert ("too large" in data["detail"]) == (language == "en")


def test_an_oversized_body_without_a_token_is_413_too(api: Api, db: None) -> None:
    response = api.post("/auth/token", body={"username": "a", "password": HUGE})

    assert response.status_code == 413
    assert set(response.json()) == {"detail", "errors"}


def test_a_chunked_body_found_too_big_while_read_is_413(db: None) -> None:
    """No Content-Length to go by (a chunked body through the ASGI server): Django finds the
    body too big while reading it, inside the API."""
    body = json.dumps({"username": "a", "password": HUGE}).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/auth/token",
        "raw_path": b"/api/v1/auth/token",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    chunks = [body[i : i + 65536] for i in range(0, len(body), 65536)]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if not chunks:  # the body is sent; the client waits for the answer
            await asyncio.Event().wait()
        chunk = chunks.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    async def send(message: Mapping[str, Any]) -> None:
        sent.append(dict(message))

    asyncio.run(ASGIHandler()(scope, receive, send))

    assert sent[0]["status"] == 413
    payload = b"".join(m.get("body", b"") for m in sent[1:])
    assert set(json.loads(payload)) == {"detail", "errors"}


def test_every_operation_with_a_body_declares_413(openapi: dict[str, Any]) -> None:
    with_body = 0
    for op, (method, path) in operations(openapi).items():
        operation = openapi["paths"][path][method.lower()]
        if "requestBody" not in operation:
            assert "413" not in operation["responses"], op
            continue
        with_body += 1
        schema = operation["responses"]["413"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorOut"}, op
    assert with_body > 10


def test_a_page_answers_413_with_a_page_in_the_users_language(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.director_a)

    response = client.post(
        f"/children/{personas.child_a.pk}/alerts/",
        {"alert-kind": "danger", "alert-note": HUGE},
        headers={"Accept-Language": "zh-hans"},
    )

    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "过大" in html and "2.5 MB" in html
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
