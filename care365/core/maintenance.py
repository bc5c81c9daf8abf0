"""Keeping the database's planner statistics fresh.

After a bulk load (seeding, an import) the planner knows nothing about the new rows and may choose
slow plans: PostgreSQL's autovacuum catches up eventually (and may be switched off), SQLite never
gathers statistics by itself. `db_analyze` asks for them at once; the worker runs it daily.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import Model


def db_analyze(*, full: bool = False) -> str:
    """ANALYZE the whole database (SQLite: `PRAGMA optimize`, or a full ANALYZE after a load)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("ANALYZE" if full else "PRAGMA optimize")
        else:
            cursor.execute("ANALYZE")
    return f"{connection.vendor} statistics refreshed"


def tables_analyze(models: Iterable[type[Model]]) -> None:
    """ANALYZE these models' tables only: a few hundred milliseconds on PostgreSQL, which
    samples; what a long import calls as its tables grow, so that the rest of it is planned for
    the rows it has written (`imports.services`)."""
    tables = [connection.ops.quote_name(model._meta.db_table) for model in models]
    if not tables:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for table in tables:
                cursor.execute(f"ANALYZE {table}")
        else:
            cursor.execute(f"ANALYZE {', '.join(tables)}")
