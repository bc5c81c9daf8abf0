"""Re-linking a whole chain in a migration: checking every entry's link as it stands, then
writing new links (keying the unkeyed chain, or the reverse).

Used by the migrations that keyed the audit trail and the access log (core 0005, accounts 0005).
A chain that does not hold as it stands is not re-linked: MACing it would vouch for entries that
were already changed, so the migration stops and says where the chain breaks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings

from care365.core import append_only, chain

Link = Callable[[Any, str, dict[str, Any]], str]  # (row, previous link, payload) -> link

BATCH = 1000


class ChainDoesNotHoldError(RuntimeError):
    """The chain was broken before it was re-linked."""


def relink(
    model: Any,
    head_model: Any,
    name: str,
    payload: Callable[[Any], dict[str, Any]],
    *,
    old: Link,
    new: Link,
    key_id: str,
) -> int:
    """Check each entry of `model`'s chain with `old`, then give it the link `new` (and the key
    id); the head takes the last link. Returns the number of entries re-linked."""
    manager = model._default_manager
    if manager.filter(seq__isnull=True).exists():
        raise ChainDoesNotHoldError(f"{name}: an entry was added outside the chain")
    head = head_model.objects.filter(chain=name).values_list("seq", "hash").first()
    prev_old, prev_new, seq, done = chain.GENESIS, chain.GENESIS, 0, 0
    while True:
        rows = list(manager.filter(seq__gt=seq).order_by("seq")[:BATCH])
        if not rows:
            break
        for row in rows:
            body = payload(row)
            if row.seq != seq + 1:
                raise ChainDoesNotHoldError(f"{name}: entry {seq + 1} is missing")
            if row.prev_hash != prev_old or old(row, prev_old, body) != row.hash:
                raise ChainDoesNotHoldError(f"{name}: entry {row.seq} does not hold")
            prev_old = row.hash
            row.prev_hash = prev_new
            row.hash = prev_new = new(row, prev_new, body)
            row.key_id = key_id
            seq = row.seq
        manager.bulk_update(rows, ["prev_hash", "hash", "key_id"])
        done += len(rows)
    if (head or (0, chain.GENESIS)) != (seq, prev_old):
        raise ChainDoesNotHoldError(f"{name}: entries after {seq} were removed")
    head_model.objects.update_or_create(chain=name, defaults={"seq": seq, "hash": prev_new})
    return done


def relink_table(
    apps: Any,
    schema_editor: Any,
    *,
    model: tuple[str, str],
    table: str,
    name: str,
    payload: Callable[[Any], dict[str, Any]],
    forward: bool,
) -> int:
    """The whole step of a keying migration (RunPython), forward or back: lift the table's
    append-only triggers, re-link `name`'s chain (forward: SHA-256 links checked, MACs under the
    current audit key written; back: MACs checked, SHA-256 links written), and put the triggers
    back (on SQLite only forward: before keying, SQLite had none)."""
    rows = apps.get_model(*model)
    head = apps.get_model("core", "LedgerHead")
    keys = {chain.key_id(k): k for k in (key.encode("utf-8") for key in settings.AUDIT_KEYS)}
    current = next(iter(keys))

    def sha(row: Any, prev: str, body: dict[str, Any]) -> str:
        return chain.entry_hash(prev, body)

    def mac(row: Any, prev: str, body: dict[str, Any]) -> str:
        key = keys.get(row.key_id) if not forward else keys[current]
        return chain.entry_mac(key, prev, body) if key else ""

    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
    for sql in append_only.sqlite_drop(table) if vendor == "sqlite" else []:
        schema_editor.execute(sql)
    if forward:
        done = relink(rows, head, name, payload, old=sha, new=mac, key_id=current)
    else:
        done = relink(rows, head, name, payload, old=mac, new=sha, key_id="")
    if vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
    for sql in append_only.sqlite_create(table) if vendor == "sqlite" and forward else []:
        schema_editor.execute(sql)
    return done
