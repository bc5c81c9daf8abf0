"""What someone with write access to the database can do: lift the append-only triggers, run
their SQL, and put the triggers back so nothing looks amiss."""

from __future__ import annotations

from django.db import connection

from care365.core import append_only


def as_attacker(*statements: str) -> None:
    with connection.cursor() as cursor:
        for table in append_only.LOG_TABLES:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
            else:
                for sql in append_only.sqlite_drop(table):
                    cursor.execute(sql)
        for sql in statements:
            cursor.execute(sql)
        for table in append_only.LOG_TABLES:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
            else:
                for sql in append_only.sqlite_create(table):
                    cursor.execute(sql)
