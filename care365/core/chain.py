"""The keyed chain that makes the audit trail and the access log tamper-evident (a pure core).

Each entry carries a MAC of the one before and of its own fields:
`mac = HMAC-SHA256(key, prev_mac + canonical(payload))`, where the payload is the entry's fields as
JSON with sorted keys and the key is the audit key (CARE365_AUDIT_KEYS) named by the entry's
`key_id`. Changing, removing or reordering any entry breaks every MAC after it, which `verify`
finds; without the key nobody can compute the MACs of a rewritten chain, so deleting entries and
chaining the rest again is found too. Against someone who holds the key, the chain's head is
checkpointed outside the database: a signed line per chain and day (`checkpoint_*` below).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
CHECKPOINT_VERSION = 1


def canonical(payload: Mapping[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def key_id(key: bytes) -> str:
    """A short public name for an audit key, written beside every entry it MACs. Derived from
    the key (so two keys never share a name), and says nothing about the key itself."""
    return hmac.new(key, b"care365 audit key id", hashlib.sha256).hexdigest()[:16]


def entry_mac(key: bytes, prev_hash: str, payload: Mapping[str, Any]) -> str:
    message = (prev_hash + canonical(payload)).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def entry_hash(prev_hash: str, payload: Mapping[str, Any]) -> str:
    """The unkeyed SHA-256 link of the chain before it was keyed; kept for the migration that
    checks the old chain before MACing it (and for undoing that migration)."""
    return hashlib.sha256((prev_hash + canonical(payload)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Entry:
    seq: int
    prev_hash: str
    hash: str
    payload: Mapping[str, Any]
    key_id: str = ""


@dataclass(frozen=True)
class Break:
    """The first entry at which the chain does not hold, and why."""

    seq: int
    why: str


def verify(
    entries: Iterable[Entry],
    keys: Mapping[str, bytes],
    *,
    after_seq: int = 0,
    after_hash: str = GENESIS,
) -> Break | None:
    """Check entries given in `seq` order with the audit keys {key id: key}, continuing a chain
    whose last entry was `after_seq` with MAC `after_hash`. Returns the first break, or None
    when the chain holds."""
    seq, last = after_seq, after_hash
    for entry in entries:
        if entry.seq != seq + 1:
            return Break(
                entry.seq, f"entry {seq + 1} is missing" if entry.seq > seq + 1 else "out of order"
            )
        if entry.prev_hash != last:
            return Break(entry.seq, "does not follow the entry before it")
        key = keys.get(entry.key_id)
        if key is None:
            return Break(entry.seq, f"is signed with an unknown audit key {entry.key_id!r}")
        if not hmac.compare_digest(entry_mac(key, entry.prev_hash, entry.payload), entry.hash):
            return Break(entry.seq, "was changed after it was written, or forged without the key")
        seq, last = entry.seq, entry.hash
    return None


# Checkpoints ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A chain's head at one moment: entry `seq` of `chain` had MAC `mac`."""

    chain: str
    seq: int
    mac: str
    at: str  # ISO 8601, UTC
    key_id: str = ""
    sig: str = ""

    def fields(self) -> dict[str, Any]:
        return {
            "v": CHECKPOINT_VERSION,
            "chain": self.chain,
            "seq": self.seq,
            "mac": self.mac,
            "at": self.at,
            "key_id": self.key_id,
        }


def _checkpoint_sig(key: bytes, fields: Mapping[str, Any]) -> str:
    # "checkpoint\n" keeps a checkpoint's signature apart from any entry's MAC under the same key.
    message = ("checkpoint\n" + canonical(fields)).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def checkpoint_sign(key: bytes, point: Checkpoint) -> Checkpoint:
    signed = Checkpoint(point.chain, point.seq, point.mac, point.at, key_id(key))
    return Checkpoint(**{**signed.__dict__, "sig": _checkpoint_sig(key, signed.fields())})


def checkpoint_line(point: Checkpoint) -> str:
    """One JSON line for the checkpoint file."""
    return canonical({**point.fields(), "sig": point.sig}) + "\n"


class BadCheckpointError(ValueError):
    """A checkpoint line that cannot be read, or whose signature does not hold."""


def checkpoint_parse(line: str, keys: Mapping[str, bytes]) -> Checkpoint:
    """Read one line of the checkpoint file and check its signature with the audit keys."""
    try:
        data = json.loads(line)
        point = Checkpoint(
            chain=str(data["chain"]),
            seq=int(data["seq"]),
            mac=str(data["mac"]),
            at=str(data["at"]),
            key_id=str(data["key_id"]),
            sig=str(data["sig"]),
        )
        version = data["v"]
    except (ValueError, KeyError, TypeError) as exc:
        raise BadCheckpointError("cannot be read") from exc
    if version != CHECKPOINT_VERSION:
        raise BadCheckpointError(f"has an unknown version {version!r}")
    key = keys.get(point.key_id)
    if key is None:
        raise BadCheckpointError(f"is signed with an unknown audit key {point.key_id!r}")
    if not hmac.compare_digest(_checkpoint_sig(key, point.fields()), point.sig):
        raise BadCheckpointError("signature does not match: the line was changed")
    return point
