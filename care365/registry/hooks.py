"""Who is told that something about a child changed, once the change is committed.

Apps above the registry keep figures derived from a child's records (daily care's risk score).
The services that change those records, in any app, call `child_changed(child_id, day)` inside
their transaction; each listener registered with `on_child_changed` (by its app's
`AppConfig.ready`) is then called with the child's id and the day, after the transaction commits
and never if it rolls back. An explicit list rather than Django signals: a reader of a service
sees the call, and a reader of `ready()` sees who listens.

A listener runs after the commit, in the process that wrote: it must be quick and must not
raise for the writer (a failure is logged and the write stands; a listener keeps its figures
right by some other means as well, such as a daily run). The same child told twice in one
transaction is told once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils import timezone

ChildListener = Callable[[int, date], None]

_listeners: list[ChildListener] = []


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
