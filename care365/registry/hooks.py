"""Who is told that something about a child changed, once the change is committed.

Apps above the registry keep figures derived from a child's records (daily care's risk score).
The services that change those records, in any app, call `child_changed(child_id, day)` inside
their transaction; each listener registered with `on_child_changed` (by its app's
`AppConfig.ready`) is then called with the child's id and the day, after the transaction commits
and never if it rolls back. An explicit list rather than Django signals: a reader of a service
sees the call, and a reader of `ready()` sees who listens.

A child's move to another village is also told at once, inside the move's transaction
(`child_moved`, listeners registered with `on_child_moved`): apps that keep a copy of the child's
village beside their own rows (the risk score's, for the risk list's index) move it in the same
transaction, so the copy is never stale and a failure rolls the move back. A child's exit is
told the same way (`child_exited`, listeners registered with `on_child_exited`): figures kept
only for the children in the registry (the risk score) are dropped in the exit's transaction.

Likewise a change to what is derived from a child's records at once, in the writer's own
transaction (`children_changed_now`, listeners registered with `on_children_changed_now`): the
services that change a child's registration, village, exit, parents or consents here, and the
higher apps' services that open or end pairings (which may not import the apps that listen), call
it after their writes; daily care rewrites the children's next-due dates there, so the due lists
never show a plan the committed tables do not hold. A listener that raises rolls the write back.

A listener runs after the commit, in the process that wrote: it must be quick and must not
raise for the writer (a failure is logged and the write stands; a listener keeps its figures
right by some other means as well, such as a daily run). The same child told twice in one
transaction is told once.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from django.db import transaction
from django.utils import timezone

ChildListener = Callable[[int, date], None]

ChildMoveListener = Callable[[int, int], None]

_listeners: list[ChildListener] = []
_move_listeners: list[ChildMoveListener] = []


def on_child_changed(listener: ChildListener) -> None:
    """Register a listener (once: registering it again changes nothing)."""
    if listener not in _listeners:
        _listeners.append(listener)


def listeners() -> tuple[ChildListener, ...]:
    return tuple(_listeners)


@dataclass
class _Call:
    """One listener's call for one child and day, scheduled for the commit (an equal call not
    yet made is not scheduled again)."""

    listener: ChildListener
    child_id: int
    day: date
    made: bool = field(default=False, compare=False)

    def __call__(self) -> None:
        self.made = True
        self.listener(self.child_id, self.day)


def _scheduled(call: _Call) -> bool:
    pending = getattr(transaction.get_connection(), "run_on_commit", ())
    return any(
        isinstance(func, _Call) and func == call and not func.made
        for _savepoints, func, *_robust in pending
    )


def child_changed(child_id: int, day: date | None = None) -> None:
    """Tell every listener, after the current transaction commits, that something about the
    child changed on `day` (today if not given). Outside a transaction they are told at once."""
    day = day or timezone.localdate()
    for listener in _listeners:
        call = _Call(listener, child_id, day)
        if not _scheduled(call):
            transaction.on_commit(call, robust=True)


def on_child_moved(listener: ChildMoveListener) -> None:
    """Register a listener to a child's move, called with the child's id and the new village's
    id inside the move's transaction (once: registering it again changes nothing)."""
    if listener not in _move_listeners:
        _move_listeners.append(listener)


def child_moved(child_id: int, village_id: int) -> None:
    """Tell every move listener, now and in the current transaction, that the child now lives in
    `village_id`. A listener that raises rolls the move back."""
    for listener in _move_listeners:
        listener(child_id, village_id)


ChildExitListener = Callable[[int], None]

_exit_listeners: list[ChildExitListener] = []


def on_child_exited(listener: ChildExitListener) -> None:
    """Register a listener to a child's exit from the registry, called with the child's id
    inside the exit's transaction (once: registering it again changes nothing)."""
    if listener not in _exit_listeners:
        _exit_listeners.append(listener)


def child_exited(child_id: int) -> None:
    """Tell every exit listener, now and in the current transaction, that the child left the
    registry. A listener that raises rolls the exit back."""
    for listener in _exit_listeners:
        listener(child_id)


class ChildrenListener(Protocol):
    def __call__(self, child_ids: Collection[int], *, new: bool = False) -> None: ...


_now_listeners: list[ChildrenListener] = []


def on_children_changed_now(listener: ChildrenListener) -> None:
    """Register a listener told, inside the writer's transaction, the ids of children whose
    records changed (once: registering it again changes nothing)."""
    if listener not in _now_listeners:
        _now_listeners.append(listener)


def children_changed_now(child_ids: Iterable[int], *, new: bool = False) -> None:
    """Tell every listener, now and in the current transaction, that these children's records
    changed (call it after the writes). A listener that raises rolls the write back.

    `new`: the children were registered in this transaction and nothing but their own
    registry rows (statuses, parents, entrusted carers) refers to them yet: no pairing,
    consent, contact or derived figure. A listener may then skip looking for those (an
    import's chunk of thousands of new children); a caller that is not sure leaves it out."""
    ids = sorted(set(child_ids))
    if not ids:
        return
    for listener in _now_listeners:
        listener(ids, new=new)
