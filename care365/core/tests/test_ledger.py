"""The keyed audit trail: every entry carries the MAC of the one before; tampering with any entry,
or removing one, is found by `care365 verify_audit`."""

from __future__ import annotations

import itertools
import threading
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connections, transaction

from care365.core import chain, ledger
from care365.core.audit import audit
from care365.core.ledger import chain_append, chain_verify
from care365.core.models import AppendOnlyError, AuditEvent, LedgerHead, PeriodicJobRun
from care365.core.tests.attacker import as_attacker

KEY = b"k" * 32
KEYS = {chain.key_id(KEY): KEY}


def _entries(n: int, key: bytes = KEY) -> list[chain.Entry]:
    entries, last = [], chain.GENESIS
    for seq in range(1, n + 1):
        payload = {"seq": seq, "action": f"a{seq}"}
        digest = chain.entry_mac(key, last, payload)
        entries.append(chain.Entry(seq, last, digest, payload, chain.key_id(key)))
        last = digest
    return entries


def _thing() -> PeriodicJobRun:
    """Something to audit; any row with a numeric key does."""
    return PeriodicJobRun.objects.create(name=f"job-{PeriodicJobRun.objects.count()}")


def _forged(entry: chain.Entry) -> chain.Entry:
    return chain.Entry(
        entry.seq, entry.prev_hash, entry.hash, {**entry.payload, "action": "x"}, entry.key_id
    )


def test_a_whole_chain_holds() -> None:
    assert chain.verify(_entries(5), KEYS) is None


def test_a_chain_made_with_another_key_does_not_hold() -> None:
    """Whoever lacks the key cannot make a chain that verifies, even a perfectly linked one."""
    forged = _entries(3, key=b"x" * 32)
    broken = chain.verify(forged, KEYS)
    assert broken is not None and broken.seq == 1 and "unknown audit key" in broken.why
    relabelled = [
        chain.Entry(e.seq, e.prev_hash, e.hash, e.payload, chain.key_id(KEY)) for e in forged
    ]
    broken = chain.verify(relabelled, KEYS)
    assert broken is not None and broken.seq == 1 and "forged without the key" in broken.why


@pytest.mark.parametrize(
    ("tamper", "seq", "why"),
    [
        (lambda e: [*e[:2], _forged(e[2]), *e[3:]], 3, "changed"),
        (lambda e: e[:2] + e[3:], 4, "missing"),
        (lambda e: [e[1], e[0], *e[2:]], 2, "missing"),
    ],
    ids=["changed", "removed", "reordered"],
)
def test_tampering_is_found(tamper: Any, seq: int, why: str) -> None:
    broken = chain.verify(tamper(_entries(5)), KEYS)
    assert broken is not None
    assert broken.seq == seq and why in broken.why


@pytest.mark.django_db
def test_audit_rows_form_a_chain_that_verifies() -> None:
    county = _thing()
    for i in range(5):
        audit(actor=None, action=f"test_{i}", obj=county)
    rows = list(AuditEvent.objects.order_by("seq"))
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert all(r.prev_hash == p.hash for p, r in itertools.pairwise(rows))
    head = LedgerHead.objects.get(chain="audit")
    assert (head.seq, head.hash) == (5, rows[-1].hash)
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "audit: 5 entries, chain holds" in out.getvalue()


@pytest.mark.django_db
def test_an_entry_is_never_changed_or_deleted_through_the_models() -> None:
    entry = audit(actor=None, action="x", obj=_thing())
    entry.note = "changed"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()


@pytest.mark.django_db
def test_a_change_made_in_sql_is_found() -> None:
    """Someone who lifted the append-only triggers changes an entry: the chain names it."""
    county = _thing()
    for i in range(4):
        audit(actor=None, action=f"a{i}", obj=county)
    target = AuditEvent.objects.get(seq=2)
    as_attacker(("UPDATE core_auditevent SET note = 'forged' WHERE id = %s", [target.pk]))
    _checked, broken = chain_verify(AuditEvent)
    assert broken is not None and broken.seq == 2 and "changed" in broken.why
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_audit", stdout=StringIO(), stderr=err)
    assert "BROKEN at entry 2" in err.getvalue()


@pytest.mark.django_db
def test_removing_the_last_entries_is_found() -> None:
    county = _thing()
    for i in range(3):
        audit(actor=None, action=f"a{i}", obj=county)
    as_attacker("DELETE FROM core_auditevent WHERE seq = 3")
    _checked, broken = chain_verify(AuditEvent)
    assert broken is not None and "removed" in broken.why


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_gapless_chain() -> None:
    """Several threads, each with its own database connection, append at once."""
    county = _thing()
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(10):
                audit(actor=None, action=f"w{n}-{i}", obj=county)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(s or 0 for s in AuditEvent.objects.values_list("seq", flat=True)) == list(
        range(1, 41)
    )
    assert chain_verify(AuditEvent) == (40, None)


@pytest.mark.django_db
def test_the_first_entry_of_a_chain_starts_its_head() -> None:
    LedgerHead.objects.filter(chain="audit").delete()
    county = _thing()
    first = audit(actor=None, action="a0", obj=county)
    audit(actor=None, action="a1", obj=county)
    assert (first.seq, first.prev_hash) == (1, chain.GENESIS)
    assert AuditEvent.objects.get(pk=first.pk).hash == first.hash
    assert LedgerHead.objects.get(chain="audit").seq == 2
    assert chain_verify(AuditEvent) == (2, None)


@pytest.mark.django_db
def test_an_entry_is_appended_once() -> None:
    entry = audit(actor=None, action="x", obj=_thing(), changes=["name", "area"])
    assert AuditEvent.objects.get(pk=entry.pk).changes == ["area", "name"]
    with pytest.raises(AppendOnlyError), transaction.atomic():
        chain_append(entry)
    assert chain_verify(AuditEvent) == (1, None)


@pytest.mark.django_db(transaction=True)
def test_the_head_stays_locked_until_the_appending_transaction_ends() -> None:
    """A second writer waits for the first one's transaction, then follows its entry."""
    county = _thing()
    appended, release = threading.Event(), threading.Event()
    seqs: dict[str, int | None] = {}
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                seqs["first"] = audit(actor=None, action="first", obj=county).seq
                appended.set()
                release.wait(10)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            appended.set()
            connections.close_all()

    def second() -> None:
        try:
            seqs["second"] = audit(actor=None, action="second", obj=county).seq
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    holder = threading.Thread(target=first)
    holder.start()
    assert appended.wait(10)
    waiter = threading.Thread(target=second)
    waiter.start()
    waiter.join(0.5)
    assert waiter.is_alive()  # still waiting for the head
    release.set()
    holder.join()
    waiter.join()
    assert errors == []
    assert seqs == {"first": 1, "second": 2}
    assert chain_verify(AuditEvent) == (2, None)


@pytest.mark.django_db
def test_a_database_without_returning_appends_the_same_way(monkeypatch: Any) -> None:
    """Older SQLite (before 3.35) cannot return the head from the update: it is read after."""
    county = _thing()
    LedgerHead.objects.filter(chain="audit").delete()
    monkeypatch.setattr(ledger, "_update_returns_rows", lambda: False)
    entries = [audit(actor=None, action=f"a{i}", obj=county) for i in range(3)]
    monkeypatch.undo()
    assert [e.seq for e in entries] == [1, 2, 3]
    assert chain_verify(AuditEvent) == (3, None)


@pytest.mark.django_db
def test_entries_under_a_retired_key_still_verify_after_rotation(settings: Any) -> None:
    county = _thing()
    old_key, new_key = "old-audit-key-" + "o" * 32, "new-audit-key-" + "n" * 32
    settings.AUDIT_KEYS = [old_key]
    before = [audit(actor=None, action=f"old{i}", obj=county) for i in range(3)]
    settings.AUDIT_KEYS = [new_key, old_key]  # rotated: the new key first, the old one retired
    after = [audit(actor=None, action=f"new{i}", obj=county) for i in range(2)]

    assert {e.key_id for e in before} == {chain.key_id(old_key.encode())}
    assert {e.key_id for e in after} == {chain.key_id(new_key.encode())}
    assert chain_verify(AuditEvent) == (5, None)
    out = StringIO()
    call_command("verify_audit", stdout=out, stderr=StringIO())
    assert "audit: 5 entries, chain holds" in out.getvalue()

    # Dropping the old key too early leaves its entries unverifiable: said, not ignored.
    settings.AUDIT_KEYS = [new_key]
    _checked, broken = chain_verify(AuditEvent)
    assert broken is not None and broken.seq == 1 and "unknown audit key" in broken.why
