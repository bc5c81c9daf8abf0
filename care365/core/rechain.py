"""Re-linking a whole chain in a migration: checking every entry's link as it stands, then
writing new links (keying the unkeyed chain, or the reverse).

Used by the migrations that keyed the audit trail and the access log (core 0005, accounts 0005).
A chain that does not hold as it stands is not re-linked: MACing it would vouch for entries that
were already changed, so the migration stops and says where the chain breaks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import chain

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
