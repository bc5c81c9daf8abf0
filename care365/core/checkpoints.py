"""Anchoring the audit chains outside the database: signed checkpoints of each chain's head.

Once a day (a worker job, or `care365 audit_checkpoint`) each chain's head — its last entry's
number and MAC — is signed with the current audit key and appended, one JSON line per chain, to
the checkpoint file (CARE365_AUDIT_CHECKPOINT_FILE, opened with O_APPEND and never rewritten);
the county administrators get the same lines in the app and by email. Before a head is
checkpointed, the entries written since the chain's last checkpoint are verified, so a chain that
no longer holds is reported instead of being vouched for.

`care365 verify_audit` reads the file back: a line whose signature does not hold was changed; an
entry whose MAC differs from its checkpoint, or that is gone, means the chain was cut or rewritten
behind the checkpoint, which even someone holding the audit key cannot hide from a copy of the
file kept apart from the database.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from care365.core import chain
from care365.core.ledger import (
    audit_key_current,
    audit_keys,
    chain_macs_at,
    chain_verify_since,
    chained_models,
)
from care365.core.models import ChainedEntry, LedgerHead


def checkpoint_path() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_FILE)


@dataclass
class CheckpointFile:
    """What a checkpoint file holds: the lines whose signature holds, and the others."""

    points: list[chain.Checkpoint] = field(default_factory=list)
    bad: list[tuple[int, str]] = field(default_factory=list)  # (line number, why)
    missing: bool = False

    def last(self, name: str) -> chain.Checkpoint | None:
        """The chain's checkpoint with the highest entry number."""
        mine = [p for p in self.points if p.chain == name]
        return max(mine, key=lambda p: p.seq) if mine else None


def checkpoints_read(
    path: Path | None = None, keys: Mapping[str, bytes] | None = None
) -> CheckpointFile:
    """Read and check every line of a checkpoint file (blank lines are skipped)."""
    path = path or checkpoint_path()
    keys = audit_keys() if keys is None else keys
    found = CheckpointFile()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        found.missing = True
        return found
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            found.points.append(chain.checkpoint_parse(line, keys))
        except chain.BadCheckpointError as exc:
            found.bad.append((number, str(exc)))
    return found


def checkpoint_append(points: Iterable[chain.Checkpoint], path: Path | None = None) -> None:
    """Append checkpoint lines to the file in one write, opened append-only, and flush them to
    disk before the day's run counts as done."""
    path = path or checkpoint_path()
    data = "".join(chain.checkpoint_line(p) for p in points).encode("utf-8")
    if not data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class CheckpointRun:
    """The day's checkpoints, and the chains that did not hold (left without a checkpoint)."""

    points: list[chain.Checkpoint]
    broken: list[tuple[str, chain.Break]]


def checkpoint_take(*, now: datetime, path: Path | None = None) -> CheckpointRun:
    """Verify each chain since its last checkpoint, sign its head and append the lines."""
    path = path or checkpoint_path()
    known = checkpoints_read(path)
    key_id, key = audit_key_current()
    at = now.astimezone(UTC).isoformat(timespec="seconds")
    points: list[chain.Checkpoint] = []
    broken: list[tuple[str, chain.Break]] = []
    for model in chained_models():
        head = LedgerHead.objects.filter(chain=model.CHAIN).values_list("seq", "hash").first()
        seq, mac = head or (0, chain.GENESIS)
        failure = chain_verify_since(model, after=known.last(model.CHAIN), up_to=seq)
        if failure is not None:
            broken.append((model.CHAIN, failure))
            continue
        points.append(chain.checkpoint_sign(key, chain.Checkpoint(model.CHAIN, seq, mac, at)))
    assert all(p.key_id == key_id for p in points)  # noqa: S101  # signed just above
    checkpoint_append(points, path)
    return CheckpointRun(points, broken)


@dataclass(frozen=True)
class CheckpointProblem:
    chain: str
    seq: int
    why: str


def checkpoints_check(
    points: Iterable[chain.Checkpoint], models: Iterable[type[ChainedEntry]] | None = None
) -> list[CheckpointProblem]:
    """Every checkpointed entry must still be in its chain with the MAC it had."""
    by_chain = {m.CHAIN: m for m in (chained_models() if models is None else models)}
    wanted: dict[str, list[chain.Checkpoint]] = {}
    problems: list[CheckpointProblem] = []
    for point in points:
        if point.chain not in by_chain:
            problems.append(CheckpointProblem(point.chain, point.seq, "no such chain"))
            continue
        wanted.setdefault(point.chain, []).append(point)
    for name, mine in wanted.items():
        macs = chain_macs_at(by_chain[name], [p.seq for p in mine if p.seq])
        for point in sorted(mine, key=lambda p: p.seq):
            if point.seq == 0:
                continue  # an empty chain was checkpointed
            now = macs.get(point.seq)
            if now is None:
                problems.append(
                    CheckpointProblem(
                        name, point.seq, f"is gone, though checkpointed at {point.at}"
                    )
                )
            elif now != point.mac:
                problems.append(
                    CheckpointProblem(
                        name, point.seq, f"differs from its checkpoint of {point.at}: rewritten"
                    )
                )
    return problems
