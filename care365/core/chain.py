"""The hash chain that makes the audit trail and the access log tamper-evident (a pure core).

Each entry carries the hash of the one before: `hash = sha256(prev_hash + canonical(payload))`,
where the payload is the entry's own fields as JSON with sorted keys. Changing, removing or
reordering any entry breaks every hash after it, which `verify` finds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def entry_hash(prev_hash: str, payload: Mapping[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Entry:
    seq: int
    prev_hash: str
    hash: str
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class Break:
    """The first entry at which the chain does not hold, and why."""

    seq: int
    why: str


def verify(
    entries: Iterable[Entry], *, after_seq: int = 0, after_hash: str = GENESIS
) -> Break | None:
    """Check entries given in `seq` order, continuing a chain whose last entry was `after_seq`
    with hash `after_hash`. Returns the first break, or None when the chain holds."""
    seq, last = after_seq, after_hash
    for entry in entries:
        if entry.seq != seq + 1:
            return Break(
                entry.seq, f"entry {seq + 1} is missing" if entry.seq > seq + 1 else "out of order"
            )
        if entry.prev_hash != last:
            return Break(entry.seq, "does not follow the entry before it")
        if entry_hash(entry.prev_hash, entry.payload) != entry.hash:
            return Break(entry.seq, "was changed after it was written")
        seq, last = entry.seq, entry.hash
    return None
