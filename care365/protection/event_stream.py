"""The signed-in user's live event stream (server-sent events) without a thread per client.

Each open stream is a coroutine waiting on an `asyncio.Event`. One `Hub` per event loop (per
uvicorn process) wakes the streams of a user when that user has new events:

- on PostgreSQL it holds one connection that LISTENs on protection's channel (`care365_events`,
  payload: the user's id), sent at the commit of every transaction that writes a user's in-app
  events;
- in the process that wrote the events, the commit itself wakes them (`wakeups.publish`, on
  either database), so the streams a request's alert reaches in its own process hear it at once;
- on SQLite (or while the PostgreSQL listener is down) it reads, every POLL_SECONDS (0.15 s), the
  event counters (`InAppStream.last_seq`) of the users with an open stream: one query for all
  streams, for the events other processes wrote.

A woken stream reads its events after the last one it sent (`events_for_user_since`); events are
numbered per user without gaps, so a stream resumed with `Last-Event-ID: n` gets exactly the events
after n. Database work runs in the loop's shared thread pool (`sync_to_async`, not thread
sensitive), and the request's own thread (Django runs the middleware in a thread kept for the
request) is given back with its database connection when the stream starts, so an idle stream
holds neither a thread nor a database connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, ParamSpec, TypeVar

import psycopg
from asgiref.sync import SyncToAsync, sync_to_async
from django.db import close_old_connections, connection, connections
from django.utils import timezone, translation

from care365.accounts.models import User
from care365.protection import selectors, wakeups
from care365.protection.models import InAppEvent, InAppStream, Kind
from care365.protection.services import PG_NOTIFY_CHANNEL

logger = logging.getLogger("care365.events")

P = ParamSpec("P")
R = TypeVar("R")

# How often the hub reads the event counters when it cannot LISTEN (SQLite): one query for all
# of the process's streams. Events written in this process wake their streams at commit
# (wakeups.py); this is for those written by other processes (the worker's escalations).
POLL_SECONDS = 0.15
# A comment line this often keeps proxies and the browser from closing an idle stream.
HEARTBEAT_SECONDS = 15.0
# A stream ends after this long and the browser reconnects (EventSource does so by itself, with
# Last-Event-ID), so a disabled account or an ended session stops receiving within this time.
STREAM_SECONDS = 300.0
# The browser's wait before reconnecting, in milliseconds.
RETRY_MS = 1000
# Events read per query.
BATCH = 100
# How long the PostgreSQL listener waits for a notification before checking it is still needed.
LISTEN_TIMEOUT = 5.0
# After the listener fails, poll this long before listening again.
RELISTEN_AFTER = 5.0


def _fresh(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run a read in a pool thread as a request would: a connection that outlived
    CONN_MAX_AGE or broke is replaced first, and closed afterwards if it should be."""
    close_old_connections()
    try:
        return function(*args, **kwargs)
    finally:
        close_old_connections()


async def db(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """A database read from the event loop, in the loop's shared thread pool."""
    result: R = await sync_to_async(_fresh, thread_sensitive=False)(function, *args, **kwargs)
    return result


def pg_conninfo() -> str:
    """The default database's connection string, for the listener's own connection."""
    settings_dict = connection.settings_dict
    params: dict[str, Any] = {
        "dbname": settings_dict.get("NAME"),
        "user": settings_dict.get("USER"),
        "password": settings_dict.get("PASSWORD"),
        "host": settings_dict.get("HOST"),
        "port": settings_dict.get("PORT"),
    }
    options = settings_dict.get("OPTIONS") or {}
    for key in (
        "sslmode",
        "sslrootcert",
        "sslcert",
        "sslkey",
        "service",
        "passfile",
        "connect_timeout",
        "options",
    ):
        if options.get(key):
            params[key] = options[key]
    return psycopg.conninfo.make_conninfo(
        **{k: str(v) for k, v in params.items() if v not in (None, "")}
    )


def _release_request_thread() -> None:
    """Give back the thread Django keeps for the request's thread-sensitive work (its
    middleware ran there). It would otherwise wait, idle, for as long as the stream lasts; a
    later thread-sensitive call of the request (closing the response) gets a new one, shut down
    with the request as usual. Uses asgiref's bookkeeping; where that is not found (another
    asgiref), the thread simply stays."""
    current = getattr(SyncToAsync, "thread_sensitive_context", None)
    executors = getattr(SyncToAsync, "context_to_thread_executor", None)
    if current is None or executors is None:
        return
    context = current.get(None)
    if context is None or getattr(context, "_executor", None) is not None:
        return  # no request context, or one whose executor its creator owns
    executor = executors.pop(context, None)
    if executor is not None:
        executor.shutdown(wait=False)


def _counters(user_ids: list[int]) -> dict[int, int]:
    return dict(InAppStream.objects.filter(user_id__in=user_ids).values_list("user_id", "last_seq"))


class Hub:
    """Wakes the open streams of a user when the user has new events (one per event loop)."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.waiters: dict[int, set[asyncio.Event]] = {}
        self.listening = False
        self.seen: dict[int, int] = {}
        self.task: asyncio.Task[None] | None = None
        self.loop = loop

    def committed(self, user_ids: frozenset[int]) -> None:
        """Called (from any thread) when this process commits events of these users."""
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.wake_many, user_ids)

    def wake_many(self, user_ids: frozenset[int]) -> None:
        for user_id in user_ids:
            self.wake(user_id)

    def subscribe(self, user_id: int) -> asyncio.Event:
        event = asyncio.Event()
        self.waiters.setdefault(user_id, set()).add(event)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())
        return event

    def unsubscribe(self, user_id: int, event: asyncio.Event) -> None:
        events = self.waiters.get(user_id)
        if events is not None:
            events.discard(event)
            if not events:
                del self.waiters[user_id]
                self.seen.pop(user_id, None)

    def wake(self, user_id: int) -> None:
        for event in self.waiters.get(user_id, ()):
            event.set()

    def wake_all(self) -> None:
        for user_id in list(self.waiters):
            self.wake(user_id)

    async def _run(self) -> None:
        """Listen (PostgreSQL) or poll (SQLite) while any stream is open."""
        while True:
            try:
                if connection.vendor == "postgresql":
                    try:
                        await self._listen()
                    except Exception:
                        logger.warning(
                            "event listener lost; polling until it is back", exc_info=True
                        )
                        await self._poll(until=RELISTEN_AFTER)
                else:
                    await self._poll()
            except Exception:
                # The hub outlives a database outage; meanwhile each stream still looks for its
                # events at every heartbeat.
                logger.exception("event hub failed; trying again")
                await asyncio.sleep(POLL_SECONDS)
            # No await between this check and returning: a stream that subscribes after it
            # finds the task done and starts a new one.
            if not self.waiters:
                return

    async def _listen(self) -> None:
        conn = await psycopg.AsyncConnection.connect(pg_conninfo(), autocommit=True)
        try:
            await conn.execute(f"LISTEN {PG_NOTIFY_CHANNEL}")
            self.listening = True
            # Whatever committed before the LISTEN took effect: every stream looks once.
            self.wake_all()
            while self.waiters:
                async for notify in conn.notifies(timeout=LISTEN_TIMEOUT):
                    with contextlib.suppress(ValueError):
                        self.wake(int(notify.payload))
        finally:
            self.listening = False
            await conn.close()

    async def _poll(self, until: float | None = None) -> None:
        loop = asyncio.get_running_loop()
        stop = None if until is None else loop.time() + until
        while self.waiters and (stop is None or loop.time() < stop):
            users = list(self.waiters)
            counters = await db(_counters, users)
            for user_id in users:
                last = counters.get(user_id, 0)
                if self.seen.get(user_id) != last:
                    if user_id in self.waiters:
                        self.seen[user_id] = last
                    self.wake(user_id)
            await asyncio.sleep(POLL_SECONDS)


_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}


def hub() -> Hub:
    """The hub of the running event loop."""
    loop = asyncio.get_running_loop()
    for other in [other for other in _hubs if other.is_closed()]:
        wakeups.unsubscribe(_hubs.pop(other).committed)
    found = _hubs.get(loop)
    if found is None:
        found = _hubs[loop] = Hub(loop)
        wakeups.subscribe(found.committed)
    return found


def _data(event: InAppEvent) -> dict[str, Any]:
    data = dict(event.data)
    kind = data.get("kind")
    if isinstance(kind, str) and kind in Kind.values:
        data["kind_label"] = str(Kind(kind).label)
    data.setdefault("at", event.created_at.isoformat())
    return data


def frame(event: InAppEvent, language: str) -> str:
    """One event in the text/event-stream format: its number, its kind, its data as JSON."""
    with translation.override(language):
        payload = json.dumps(_data(event), ensure_ascii=False, default=str)
    return f"id: {event.seq}\nevent: {event.kind}\ndata: {payload}\n\n"


def opening() -> str:
    return f"retry: {RETRY_MS}\n\n"


async def live(user: User, last_id: int, language: str) -> AsyncIterator[str]:
    """The user's events after `last_id`, as they happen, until the stream's time is up."""
    # The request's own thread (Django ran the middleware there) may hold a database
    # connection; the stream uses neither again.
    await sync_to_async(connections.close_all)()
    _release_request_thread()
    streams = hub()
    wake = streams.subscribe(user.pk)
    loop = asyncio.get_running_loop()
    ends = loop.time() + STREAM_SECONDS
    try:
        yield opening()
        while True:
            wake.clear()
            events = await db(selectors.events_for_user_since, user, last_id, limit=BATCH)
            for event in events:
                last_id = event.seq
                yield frame(event, language)
            if len(events) == BATCH:
                continue
            left = ends - loop.time()
            if left <= 0:
                return
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation
            # (the client went away) that arrives as the wake-up does, and the stream would go on.
            try:
                async with asyncio.timeout(min(HEARTBEAT_SECONDS, left)):
                    await wake.wait()
            except TimeoutError:
                yield f": {timezone.now().isoformat(timespec='seconds')}\n\n"
    finally:
        streams.unsubscribe(user.pk, wake)


async def db_here(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """A database read in the request's own thread: the same connection as the rest of the
    request (its sign-in), for the stream's first read and for the stream served without an
    event loop of its own (WSGI)."""
    result: R = await sync_to_async(function)(*args, **kwargs)
    return result
