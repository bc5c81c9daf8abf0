"""Process-local wake-ups for the live event stream.

When a transaction that wrote in-app events commits, `publish` tells every listener in this
process which users have new events; the event stream's hubs (one per event loop) listen and wake
those users' open streams at once, without waiting for their next poll. Events written by other
processes (the worker's escalations, another uvicorn process) reach a stream through PostgreSQL's
LISTEN/NOTIFY or, on SQLite, through the hub's poll of the event counters.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

logger = logging.getLogger("care365.events")

Listener = Callable[[frozenset[int]], None]

_listeners: set[Listener] = set()
_lock = threading.Lock()


def subscribe(listener: Listener) -> None:
    with _lock:
        _listeners.add(listener)


def unsubscribe(listener: Listener) -> None:
    with _lock:
        _listeners.discard(listener)


def publish(user_ids: Iterable[int]) -> None:
    """Tell this process's listeners that these users have new events (call at commit)."""
    users = frozenset(user_ids)
    if not users:
        return
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        try:
            listener(users)
        except Exception:  # a closed event loop, say: the others still hear
            logger.warning("an event listener failed", exc_info=True)
