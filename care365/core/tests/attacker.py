"""What someone with write access to the database can do: lift the append-only triggers, run
their SQL, and put the triggers back so nothing looks amiss."""

from __future__ import annotations

from typing import Any

from django.db import connection

from care365.core import append_only

Statement = str | tuple[str, list[Any]]  # SQL, or SQL and its parameters


def as_attacker(*statements: Statement) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Foreign keys checked at commit would keep ALTER TABLE from running: check them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in append_only.LOG_TABLES:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
            else:
                for sql in append_only.sqlite_drop(table):
                    cursor.execute(sql)
        for statement in statements:
            sql, params = (statement, None) if isinstance(statement, str) else statement
            cursor.execute(sql, params)
        for table in append_only.LOG_TABLES:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
            else:
                for sql in append_only.sqlite_create(table):
                    cursor.execute(sql)
