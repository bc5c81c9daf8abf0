"""The database's own refusal to change or delete a log entry: triggers on the log tables.

PostgreSQL runs one trigger function for UPDATE and DELETE (core 0004_audit_chain); SQLite gets
two triggers per table that abort the statement. Both refuse row by row, so they stop the app, a
mistaken SQL session and a Django `QuerySet.update()/delete()` alike; someone with the rights to
drop a trigger can still tamper, which the keyed chain and its checkpoints then reveal.

Migrations create the triggers through these functions. A later migration that makes SQLite
rebuild a log table (most column changes do) drops its triggers with the old table and must
create them again; `care365 verify_audit` reports a log table without them.
"""

from __future__ import annotations

from typing import Any

# The log tables: the audit trail, the access log, the log of look-ups by ID number and the log
# of list exports.
LOG_TABLES = (
    "core_auditevent",
    "accounts_accesslog",
    "accounts_idlookup",
    "accounts_listexport",
)


def sqlite_create(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'care365: {table} is append-only'); END",
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'care365: {table} is append-only'); END",
    ]


def sqlite_drop(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_update",
        f"DROP TRIGGER IF EXISTS {table}_no_delete",
    ]


def triggers_missing(connection: Any, tables: tuple[str, ...] = LOG_TABLES) -> list[str]:
    """The log tables that lack their append-only trigger(s) on this database."""
    missing = []
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "sqlite":
                cursor.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                    [table],
                )
                names = {row[0] for row in cursor.fetchall()}
                ok = {f"{table}_no_update", f"{table}_no_delete"} <= names
            elif connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT 1 FROM pg_trigger WHERE tgname = %s AND tgenabled <> 'D'",
                    [f"{table}_append_only"],
                )
                ok = cursor.fetchone() is not None
            else:  # no triggers on other databases
                ok = True
            if not ok:
                missing.append(table)
    return missing
