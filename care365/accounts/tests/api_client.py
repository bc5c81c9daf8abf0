"""Calling the API as each persona: a bearer token per user, English unless a test asks.

The `api` and `openapi` fixtures (conftest.py at the top of the repository) are built on it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.test import Client

from care365.accounts.models import User
from care365.accounts.services import api_token_create

if TYPE_CHECKING:  # the test client's response type exists only in django-stubs
    from django.test.client import _MonkeyPatchedWSGIResponse as Response
else:
    Response = object

BASE = "/api/v1"


class Api:
    """A test client for /api/v1 that sends a user's bearer token and a language."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self._tokens: dict[int, str] = {}

    def token(self, user: User) -> str:
        if user.pk not in self._tokens:
            self._tokens[user.pk] = api_token_create(user=user)
        return self._tokens[user.pk]

    def call(
        self,
        method: str,
        path: str,
        *,
        user: User | None = None,
        body: Any = None,
        query: dict[str, Any] | None = None,
        language: str = "en",
        headers: dict[str, str] | None = None,
    ) -> Response:
        sent = {"Accept-Language": language, **(headers or {})}
        if user is not None:
            sent["Authorization"] = f"Bearer {self.token(user)}"
        kwargs: dict[str, Any] = {"headers": sent}
        if body is not None:
            kwargs["data"] = json.dumps(body, default=str)
            kwargs["content_type"] = "application/json"
        url = path if path.startswith(BASE) else BASE + path
        if query:
            url += "?" + urlencode(query, doseq=True)
        return getattr(self.client, method.lower())(url, **kwargs)  # type: ignore[no-any-return]

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Response:
        return self.call("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Response:
        return self.call("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Response:
        return self.call("DELETE", path, **kwargs)


def published_schema() -> dict[str, Any]:
    """The schema as published at /api/v1/openapi.json."""
    schema: dict[str, Any] = Client().get(f"{BASE}/openapi.json").json()
    return schema


def operations(schema: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """operationId -> (method, path template), straight from the OpenAPI schema."""
    return {
        op["operationId"]: (method.upper(), path)
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
    }
