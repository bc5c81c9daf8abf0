"""Keeping the database's planner statistics fresh.

After a bulk load (seeding, an import) the planner knows nothing about the new rows and may choose
slow plans: PostgreSQL's autovacuum catches up eventually (and may be switched off), SQLite never
gathers statistics by itself. `db_analyze` asks for them at once; the worker runs it daily.
"""

from __future__ import annotations

from django.db import connection


def db_analyze(*, full: bool = False) -> str:
    """ANALYZE the whole database (SQLite: `PRAGMA optimize`, or a full ANALYZE after a load)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("ANALYZE" if full else "PRAGMA optimize")
        else:
            cursor.execute("ANALYZE")
    return f"{connection.vendor} statistics refreshed"
