"""Attacks on the logs by someone with write access to the database: the keyed chain finds a log
re-chained without the key, the checkpoints kept outside the database find one cut back even with
the key, and the database itself refuses to change or delete an entry."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from care365.accounts.access import child_get_for_user
from care365.accounts.models import AccessLog
from care365.core import chain
from care365.core.audit import audit
from care365.core.ledger import audit_key_current, chain_verify
from care365.core.models import AuditEvent, LedgerHead
from care365.core.tests.attacker import Statement, as_attacker
from conftest import Personas

pytestmark = pytest.mark.django_db


def _reads(p: Personas, n: int) -> None:
    for _ in range(n):
        child_get_for_user(p.director_a, p.child_a.pk, "view")


def _verify() -> tuple[bool, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err)
    except CommandError:
        return False, out.getvalue(), err.getvalue()
    return True, out.getvalue(), err.getvalue()


def _rechain(delete: list[int], link: Any) -> None:
    """Delete access-log entries and chain the rest again with `link(prev, payload)`, numbers
    closed up and the head moved, as someone covering their tracks in SQL would."""
    rows = [r for r in AccessLog.objects.order_by("seq") if r.seq not in delete]
    statements: list[Statement] = [
        ("DELETE FROM accounts_accesslog WHERE seq = %s", [seq]) for seq in delete
    ]
    prev = chain.GENESIS
    for seq, row in enumerate(rows, start=1):
        row.seq = seq
        mac = link(prev, row.chain_payload())
        statements.append(
            (
                "UPDATE accounts_accesslog SET seq = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [seq, prev, mac, row.pk],
            )
        )
        prev = mac
    statements.append(
        ("UPDATE core_ledgerhead SET seq = %s, hash = %s WHERE chain = 'access'", [len(rows), prev])
    )
    as_attacker(*statements)


def test_deleting_reads_and_rehashing_the_rest_without_the_key_is_found(
    personas: Personas,
) -> None:
    _reads(personas, 5)
    assert _verify()[0]

    _rechain([2, 3], chain.entry_hash)  # plain SHA-256, as the chain was before it was keyed

    assert AccessLog.objects.count() == 3
    held, _out, err = _verify()
    assert not held
    assert "access: BROKEN at entry 1" in err
    assert "forged without the key" in err


def test_a_log_cut_back_behind_a_checkpoint_is_found_even_with_the_key(
    personas: Personas,
) -> None:
    _reads(personas, 4)
    call_command("audit_checkpoint", stdout=StringIO())
    _reads(personas, 2)

    # Someone holding the audit key deletes reads before the checkpoint and MACs the rest anew.
    _key_id, key = audit_key_current()
    _rechain([2, 3], lambda prev, payload: chain.entry_mac(key, prev, payload))

    assert chain_verify(AccessLog) == (4, None)  # the chain alone holds: the key was used
    held, _out, err = _verify()
    assert not held
    assert "access: BROKEN at entry 4 behind a checkpoint" in err
    assert "rewritten" in err


def test_a_log_truncated_after_its_checkpoint_is_found(personas: Personas, settings: Any) -> None:
    _reads(personas, 3)
    call_command("audit_checkpoint", stdout=StringIO())
    as_attacker(
        "DELETE FROM accounts_accesslog WHERE seq >= 2",
        "UPDATE core_ledgerhead SET seq = 1, hash = "
        "(SELECT hash FROM accounts_accesslog WHERE seq = 1) WHERE chain = 'access'",
    )
    held, _out, err = _verify()
    assert not held
    assert "access: BROKEN at entry 3 behind a checkpoint: is gone" in err


def test_a_changed_checkpoint_line_is_reported(personas: Personas, settings: Any) -> None:
    _reads(personas, 3)
    call_command("audit_checkpoint", stdout=StringIO())
    path = Path(settings.AUDIT_CHECKPOINT_FILE)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4  # one per chain: the audit trail, access log, ID look-ups, exports
    access = next(i for i, line in enumerate(lines) if '"chain":"access"' in line)
    forged = json.loads(lines[access])
    forged["seq"] = 1  # pretend the log was shorter when it was checkpointed
    lines[access] = json.dumps(forged)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    held, _out, err = _verify()
    assert not held
    assert f"{path}:{access + 1}: BAD CHECKPOINT: signature does not match" in err


def test_checkpoints_that_hold_are_confirmed(personas: Personas, settings: Any) -> None:
    _reads(personas, 2)
    call_command("audit_checkpoint", stdout=StringIO())
    _reads(personas, 1)
    held, out, _err = _verify()
    assert held
    assert "access: 3 entries, chain holds" in out
    assert "access: 1 checkpoints hold, the last at entry 2" in out


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE accounts_accesslog SET reason = 'nothing to see'",
        "DELETE FROM accounts_accesslog",
        "UPDATE core_auditevent SET note = 'nothing to see'",
        "DELETE FROM core_auditevent",
    ],
)
def test_the_database_refuses_to_change_or_delete_a_log_entry(personas: Personas, sql: str) -> None:
    _reads(personas, 1)
    audit(actor=personas.admin, action="test", obj=personas.child_a)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLog.objects.all().delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.update(note="x")
    assert AccessLog.objects.count() == 1 and AuditEvent.objects.count() == 1
    assert LedgerHead.objects.get(chain="access").seq == 1


def test_verify_audit_reports_a_log_table_without_its_triggers(personas: Personas) -> None:
    _reads(personas, 1)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER accounts_accesslog_append_only ON accounts_accesslog")
        else:
            cursor.execute("DROP TRIGGER accounts_accesslog_no_delete")
    held, _out, err = _verify()
    assert not held
    assert "accounts_accesslog: the append-only trigger is missing" in err
