"""The event stream served for real: uvicorn on loopback (in a thread of the test process, on the
test database), read over HTTP as a browser's EventSource reads it.

The tests commit (transactional tests), so the server's own connections see what they write:
an alert raised after a stream opened reaches it; a stream resumed with Last-Event-ID gets
exactly the events it missed; the browser's session cookie is enough to open it.
"""

from __future__ import annotations

import gc
import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from django.core.asgi import get_asgi_application
from django.db import connection
from django.test import Client

from care365.accounts.access import child_get_for_user
from care365.accounts.models import User
from care365.accounts.services import api_token_create
from care365.protection import event_stream, services, wakeups
from care365.protection.models import Alert
from conftest import Personas

pytestmark = pytest.mark.django_db(transaction=True)

READ_TIMEOUT = 10.0
STREAMS = 30


@dataclass
class Server:
    port: int


@pytest.fixture
def server(transactional_db: None) -> Iterator[Server]:
    """uvicorn serving the app (config/asgi.py's application) on a free loopback port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(
        get_asgi_application(),
        lifespan="off",
        log_level="warning",
        loop="asyncio",
        http="h11",
        timeout_graceful_shutdown=1,
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield Server(port)
    finally:
        instance.should_exit = True
        thread.join(timeout=10)
        sock.close()
        # The server's pool threads have ended; their database connections close when
        # collected, before the test database is flushed or dropped.
        gc.collect()


@dataclass
class Stream:
    """An open text/event-stream response, read block by block."""

    conn: http.client.HTTPConnection
    response: http.client.HTTPResponse
    buffer: str = ""
    ended: bool = False
    received_at: list[float] = field(default_factory=list)

    def block(self, timeout: float = READ_TIMEOUT) -> str | None:
        """The next block (an event, a comment, the retry line); None when the stream ended."""
        deadline = time.monotonic() + timeout
        while "\n\n" not in self.buffer:
            left = deadline - time.monotonic()
            assert left > 0, f"nothing arrived in {timeout} s: {self.buffer!r}"
            assert self.conn.sock is not None
            self.conn.sock.settimeout(left)
            try:
                chunk = self.response.read1(65536)
            except TimeoutError:
                raise AssertionError(f"nothing arrived in {timeout} s: {self.buffer!r}") from None
            if not chunk:
                self.ended = True
                return None
            self.buffer += chunk.decode()
        block, self.buffer = self.buffer.split("\n\n", 1)
        return block

    def event(self, timeout: float = READ_TIMEOUT) -> dict[str, Any]:
        """The next event, skipping comments (heartbeats)."""
        deadline = time.monotonic() + timeout
        while True:
            block = self.block(max(0.1, deadline - time.monotonic()))
            assert block is not None, "the stream ended"
            if block.startswith((":", "retry:")):
                continue
            fields = dict(line.split(": ", 1) for line in block.splitlines())
            return {**fields, "data": json.loads(fields["data"])}

    def until_heartbeat(self) -> list[dict[str, Any]]:
        """Every event before the next heartbeat comment: what the stream had to send."""
        events: list[dict[str, Any]] = []
        while True:
            block = self.block()
            assert block is not None, "the stream ended"
            if block.startswith(":"):
                return events
            if block.startswith("retry:"):
                continue
            fields = dict(line.split(": ", 1) for line in block.splitlines())
            events.append({**fields, "data": json.loads(fields["data"])})

    def close(self) -> None:
        # The response's file holds the socket open: close both, as a browser leaving would.
        self.response.close()
        self.conn.close()


def open_stream(server: Server, headers: dict[str, str], path: str = "/api/v1/events") -> Stream:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=READ_TIMEOUT)
    conn.request("GET", path, headers={"Accept": "text/event-stream", **headers})
    response = conn.getresponse()
    stream = Stream(conn, response)
    if response.status == 200:
        assert stream.block() == f"retry: {event_stream.RETRY_MS}"  # the stream is ready
    return stream


def bearer(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token_create(user=user)}"}


@pytest.fixture
def paired(paired_personas: Personas) -> Personas:
    return paired_personas


def raise_for_a(p: Personas, kind: str = "danger") -> Alert:
    child = child_get_for_user(p.director_a, p.child_a.pk, "view")
    return services.alert_raise(actor=p.director_a, child=child, kind=kind)


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    """Heartbeats twice a second, so a test can tell "nothing more to send"."""
    monkeypatch.setattr(event_stream, "HEARTBEAT_SECONDS", 0.5)


def test_an_alert_raised_after_connecting_reaches_the_officer_at_once(
    server: Server, paired: Personas
) -> None:
    stream = open_stream(server, {**bearer(paired.officer), "Accept-Language": "en"})
    try:
        assert stream.response.getheader("Content-Type", "").startswith("text/event-stream")
        assert stream.response.getheader("X-Accel-Buffering") == "no"
        assert stream.response.getheader("Cache-Control") == "no-cache"
        assert stream.response.getheader("Content-Encoding") is None
        started = time.monotonic()
        alert = raise_for_a(paired)

        event = stream.event()

        latency = time.monotonic() - started
        assert (event["id"], event["event"], event["data"]["alert"]) == ("1", "alert", alert.pk)
        assert (event["data"]["kind"], event["data"]["kind_label"]) == ("danger", "in danger")
        # Raised in this process: its commit wakes the stream (wakeups.py) on either database.
        assert latency < 1, latency
    finally:
        stream.close()


def test_a_resumed_stream_gets_exactly_the_events_it_missed(
    server: Server, paired: Personas, quick: None
) -> None:
    headers = bearer(paired.officer)
    stream = open_stream(server, headers)
    first = raise_for_a(paired)
    assert stream.event()["id"] == "1"
    stream.close()
    # While the officer is away: a second alert (of another kind: a second of the same kind
    # would be folded into the first), and the first one acknowledged.
    second = raise_for_a(paired, kind="injury")
    services.alert_acknowledge(actor=paired.supervisor_a, alert=first)

    resumed = open_stream(server, {**headers, "Last-Event-ID": "1"})
    try:
        missed = resumed.until_heartbeat()
        assert [(e["id"], e["event"], e["data"]["alert"]) for e in missed] == [
            ("2", "alert", second.pk),
            ("3", "alert_update", first.pk),
        ]
        # And it goes on live.
        services.alert_acknowledge(actor=paired.supervisor_a, alert=second)
        assert resumed.event()["id"] == "4"
        assert resumed.until_heartbeat() == []
    finally:
        resumed.close()


def test_the_browser_opens_the_stream_with_its_session_cookie(
    server: Server, paired: Personas
) -> None:
    client = Client()
    client.force_login(paired.officer)
    cookie = f"sessionid={client.cookies['sessionid'].value}"

    stream = open_stream(server, {"Cookie": cookie}, "/api/v1/events?last_event_id=0")
    try:
        assert stream.response.status == 200
        alert = raise_for_a(paired)
        assert stream.event()["data"]["alert"] == alert.pk
    finally:
        stream.close()
    refused = open_stream(server, {"Cookie": "sessionid=not-a-session"})
    assert refused.response.status == 401
    assert json.loads(refused.response.read())["detail"]
    refused.close()


def test_each_user_hears_only_their_own_events(server: Server, paired: Personas) -> None:
    director_b = open_stream(server, bearer(paired.director_b))
    officer = open_stream(server, bearer(paired.officer))
    try:
        raise_for_a(paired)
        assert officer.event()["event"] == "alert"
        with pytest.raises(AssertionError, match="nothing arrived"):
            director_b.event(timeout=1.5)
    finally:
        director_b.close()
        officer.close()


def test_heartbeats_keep_an_idle_stream_open_and_it_ends_to_be_reopened(
    server: Server, paired: Personas, quick: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_stream, "STREAM_SECONDS", 1.2)
    stream = open_stream(server, bearer(paired.officer))
    try:
        assert stream.block() is not None and stream.block() is not None  # two heartbeats
        while stream.block() is not None:
            pass
        assert stream.ended
    finally:
        stream.close()


def test_open_streams_hold_no_thread_each(server: Server, paired: Personas) -> None:
    before = threading.active_count()
    headers = bearer(paired.officer)
    streams = [open_stream(server, headers) for _ in range(STREAMS)]
    try:
        during = threading.active_count()
        # The server's loop and its shared pool, not one thread per stream.
        assert during - before < 10, (before, during)
        alert = raise_for_a(paired)
        assert {s.event()["data"]["alert"] for s in streams} == {alert.pk}
    finally:
        for stream in streams:
            stream.close()


def test_a_closed_stream_leaves_nothing_waiting(server: Server, paired: Personas) -> None:
    stream = open_stream(server, bearer(paired.officer))
    assert any(hub.waiters for hub in event_stream._hubs.values())
    stream.close()
    deadline = time.monotonic() + 5
    while any(hub.waiters for hub in event_stream._hubs.values()):
        assert time.monotonic() < deadline, [
            (loop.is_closed(), loop.is_running(), dict(hub.waiters))
            for loop, hub in event_stream._hubs.items()
        ]
        time.sleep(0.05)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="LISTEN/NOTIFY is PostgreSQL's")
def test_on_postgresql_notify_wakes_the_stream_without_polling(
    server: Server, paired: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_stream, "POLL_SECONDS", 60.0)
    monkeypatch.setattr(event_stream, "HEARTBEAT_SECONDS", 60.0)
    stream = open_stream(server, bearer(paired.officer))
    try:
        deadline = time.monotonic() + 5
        while not any(hub.listening for hub in event_stream._hubs.values()):
            assert time.monotonic() < deadline, "the hub is not listening"
            time.sleep(0.02)
        started = time.monotonic()
        raise_for_a(paired)
        assert stream.event(timeout=2)["event"] == "alert"
        assert time.monotonic() - started < 1
    finally:
        stream.close()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="LISTEN/NOTIFY is PostgreSQL's")
def test_on_postgresql_a_lost_listener_falls_back_to_polling(
    server: Server, paired: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing listens on port 1: the listener cannot connect.
    monkeypatch.setattr(event_stream, "pg_conninfo", lambda: "host=127.0.0.1 port=1")
    monkeypatch.setattr(event_stream, "HEARTBEAT_SECONDS", 60.0)
    stream = open_stream(server, bearer(paired.officer))
    try:
        alert = raise_for_a(paired)
        assert stream.event(timeout=3)["data"]["alert"] == alert.pk
        assert not any(hub.listening for hub in event_stream._hubs.values())
    finally:
        stream.close()


def test_an_event_committed_in_this_process_wakes_its_stream_without_polling(
    server: Server, paired: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Neither a poll nor (on PostgreSQL) a NOTIFY can deliver it: the poll waits a minute and the
    # listener cannot connect. Only the commit's own wake-up (wakeups.publish) is left.
    monkeypatch.setattr(event_stream, "POLL_SECONDS", 60.0)
    monkeypatch.setattr(event_stream, "HEARTBEAT_SECONDS", 60.0)
    monkeypatch.setattr(event_stream, "pg_conninfo", lambda: "host=127.0.0.1 port=1")
    stream = open_stream(server, bearer(paired.officer))
    try:
        time.sleep(0.3)  # the hub has read the counters once and sleeps
        started = time.monotonic()
        alert = raise_for_a(paired)
        # Within seconds, where the poll would take a minute (a loaded machine takes a second
        # or so to write the alert and wake the stream).
        assert stream.event(timeout=10)["data"]["alert"] == alert.pk
        assert time.monotonic() - started < 10
    finally:
        stream.close()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL is woken by NOTIFY")
def test_on_sqlite_events_of_another_process_arrive_within_the_poll(
    server: Server, paired: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another process (the worker) writes the events: this process hears of no commit of them.
    monkeypatch.setattr(wakeups, "publish", lambda user_ids: None)
    monkeypatch.setattr(event_stream, "HEARTBEAT_SECONDS", 60.0)
    stream = open_stream(server, bearer(paired.officer))
    try:
        time.sleep(0.3)
        started = time.monotonic()
        alert = raise_for_a(paired)
        assert stream.event(timeout=2)["data"]["alert"] == alert.pk
        # One read of every stream's counter each POLL_SECONDS (0.15 s).
        assert time.monotonic() - started < 0.3 + event_stream.POLL_SECONDS
    finally:
        stream.close()
