"""The migrations that keyed the chains: an unkeyed chain that holds is MACed under the current
audit key; one that does not hold stops the migration rather than being vouched for."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from care365.core import chain
from care365.core.ledger import audit_key_current, chain_verify
from care365.core.models import AuditEvent
from care365.core.rechain import ChainDoesNotHoldError
from care365.core.tests.attacker import as_attacker

BEFORE = [("core", "0004_audit_chain"), ("accounts", "0004_sign_in_throttle_and_totp")]
AFTER = [("core", "0005_audit_trail_keyed_chain"), ("accounts", "0005_access_log_keyed_chain")]


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def unkeyed() -> Iterator[Any]:
    """The database as it was before the chains were keyed; migrated forward again after, to
    the latest migrations (not just AFTER), so the tests that run next find the whole schema."""
    old = _migrate(BEFORE)
    yield old
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _legacy_audit(old: Any, n: int) -> None:
    """Audit rows chained the old way (plain SHA-256), as the previous release wrote them."""
    event, head = old.get_model("core", "AuditEvent"), old.get_model("core", "LedgerHead")
    last = chain.GENESIS
    for seq in range(1, n + 1):
        at = datetime(2026, 11, seq, tzinfo=UTC)
        payload = {
            "seq": seq,
            "at": at.isoformat(),
            "actor": None,
            "action": f"a{seq}",
            "object_type": "registry.child",
            "object_id": seq,
            "changes": [],
            "note": "",
        }
        digest = chain.entry_hash(last, payload)
        event.objects.create(
            seq=seq, prev_hash=last, hash=digest, at=at, action=f"a{seq}",
            object_type="registry.child", object_id=seq,
        )  # fmt: skip
        last = digest
    head.objects.update_or_create(chain="audit", defaults={"seq": n, "hash": last})


@pytest.mark.django_db(transaction=True)
def test_an_unkeyed_chain_that_holds_is_maced_under_the_current_key(unkeyed: Any) -> None:
    _legacy_audit(unkeyed, 4)
    _migrate(AFTER)
    assert chain_verify(AuditEvent) == (4, None)
    assert set(AuditEvent.objects.values_list("key_id", flat=True)) == {audit_key_current()[0]}
    # And back: the reverse writes the SHA-256 links again.
    old = _migrate(BEFORE)
    rows = list(old.get_model("core", "AuditEvent").objects.order_by("seq"))
    assert rows[0].prev_hash == chain.GENESIS and rows[1].prev_hash == rows[0].hash


@pytest.mark.django_db(transaction=True)
def test_an_unkeyed_chain_that_was_tampered_with_stops_the_migration(unkeyed: Any) -> None:
    _legacy_audit(unkeyed, 4)
    as_attacker("UPDATE core_auditevent SET note = 'changed' WHERE seq = 3")
    with pytest.raises(ChainDoesNotHoldError, match="entry 3 does not hold"):
        _migrate(AFTER)
    as_attacker("UPDATE core_auditevent SET note = '' WHERE seq = 3")  # for the way back
