"""Ids as pages and the API take them, bounded to what the databases store.

A number beyond a signed 64-bit integer never reaches a query: SQLite cannot bind it and
PostgreSQL refuses it, either of which would answer 500. In a URL such a number does not match
the route (404, like a record that does not exist); in a form or a query string it is an
invalid value (400 on a page, 422 in the API).
"""

from __future__ import annotations

from django.urls import register_converter

# Largest id the databases store (a signed 64-bit integer).
MAX_ID = 2**63 - 1


class IdConverter:
    """`<id:name>` in a route: a record's id, 1..MAX_ID; anything else does not match."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError(value)  # the route does not match: 404
        return number

    def to_url(self, value: int | str) -> str:
        return str(value)


register_converter(IdConverter, "id")
