"""Instant protection under a storm: raise -> event on the officer's stream, step lateness, and
exactly-once escalation while workers are killed with SIGKILL.

    .venv/bin/python bench/alerts.py [--seconds 60] [--rate 50] [--streams 100] [--kills 20]
                                     [--workers 3] [--web 2] [--ack 0.1] [--db sqlite,postgres]
                                     [--policy default|short|fault] [--drain SECONDS]
                                     [--sweep-ms MS] [--fault] [--plain MEASURES]

For each database: migrate a fresh database (a SQLite file in a temporary directory, or the
PostgreSQL database `care365_bench_alerts`, dropped at the end), seed a county with enough
children for the officers (`care365 seed`, 60 children per officer, at least 3,000), run the demo
setup (its pairing gives every child an officer), give the `--streams` officers with the most
children an account, give each village a director's account, and set the county's escalation
policy (`--policy`), every step in the app and by SMS (the bench runs no mail server), and run
the day's periodic jobs once, as a running installation already has:

- `default`, the county's default waits: assigned officer 60 s -> station duty officer 120 s
  -> township supervisor and director 180 s -> county duty desk, then the desk every 300 s;
- `short`, a stress test in which every alert climbs the whole policy within the storm:
  5 s -> 5 s -> 10 s -> desk, then the desk every 20 s (the supervisor's step in the app only);
- `fault`, the fault test's (care365/protection/tests/test_fault.py): 1 s -> 1 s -> 1 s -> desk,
  then the desk every 2 s. `--fault` runs that test's storm at the rate it once ran at in the
  test (45 alerts at 15/s, 2 SIGKILLs, 3 workers sweeping every 50 ms, `--sweep-ms`): the test
  itself now raises its alerts on a clock of its own, so alerts per second are measured here.

`--plain MEASURES` serves the app with those speed measures replaced by plain Django
(bench/plain.py), to compare with a run without it.

Then start uvicorn (`--web` processes) and `--workers` `care365 worker` processes (the default
sweep interval, 1 s), open one server-sent event stream (`GET /api/v1/events`, bearer token) per
officer, and for `--seconds` raise `--rate` alerts a second through the API
(`POST /api/v1/alerts`, as the director of the child's village) for children of those officers,
then keep everything running `--drain` seconds more (default: 65 s with the default policy, so
that every unanswered alert's first escalation, due 60 s after it was raised, fires during the
run; 5 s with the short one).
The latency of an alert is from the moment its request is written to the moment the officer's
stream delivers the alert's first event (level 0). A fraction `--ack` of the alerts is
acknowledged by the officer a second after it arrives; the rest escalate. Meanwhile a worker is
killed with SIGKILL `--kills` times, evenly spread over the storm and the drain, and a fresh one
started each time.

SMS go to a receiver in this process that plays the gateway: it answers 200 and counts each
idempotency key, so a message sent again after a kill is seen (and, like a real gateway, would be
dropped by its key).

Afterwards the workers are stopped with SIGTERM; a message a killed worker held is sent once its
lease runs out (`outbox_send` 31 s later, as a surviving worker would), and the database is
checked: each alert's steps are 0, 1, ..., level, each exactly once; no open alert has a deadline
that passed more than 2 s before the workers stopped; no step fired after an acknowledgement;
no idempotency key twice; one in-app event per in-app notification; every SMS reached the
receiver. Step lateness is `at - due_at` of the `escalated` events.

The client (streams, requests, the SMS receiver) is one asyncio process on the same machine, so
its own scheduling is in the figures. The CPU seconds each part used during the storm are printed
with the figures: on a small machine they show what the load costs and where.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_BENCH_DB = "care365_bench_alerts"
PG_URL = f"postgres://postgres@127.0.0.1:5432/{PG_BENCH_DB}"
GATEWAY_SECRET = "bench-gateway-secret"  # noqa: S105  # a local test receiver's secret
POLICIES: dict[str, dict[str, Any]] = {
    "default": {
        "steps": [
            {"who": "assigned_officer", "wait_seconds": 60, "channels": ["in_app", "sms"]},
            {"who": "station_duty_officer", "wait_seconds": 120, "channels": ["in_app", "sms"]},
            {
                "who": "township_supervisor_and_director",
                "wait_seconds": 180,
                "channels": ["in_app", "sms"],
            },
            {"who": "county_duty_desk", "wait_seconds": 300, "channels": ["in_app", "sms"]},
        ],
        "repeat_seconds": 300,
    },
    "short": {
        "steps": [
            {"who": "assigned_officer", "wait_seconds": 5, "channels": ["in_app", "sms"]},
            {"who": "station_duty_officer", "wait_seconds": 5, "channels": ["in_app", "sms"]},
            {"who": "township_supervisor_and_director", "wait_seconds": 10, "channels": ["in_app"]},
            {"who": "county_duty_desk", "wait_seconds": 20, "channels": ["in_app", "sms"]},
        ],
        "repeat_seconds": 20,
    },
    # The fault test's (protection/tests/test_fault.py), whose storm runs on a clock of its own:
    # here at a rate, as a storm comes, with its 3 workers sweeping every 50 ms (`--fault`).
    "fault": {
        "steps": [
            {"who": "assigned_officer", "wait_seconds": 1, "channels": ["in_app", "sms"]},
            {"who": "station_duty_officer", "wait_seconds": 1, "channels": ["sms"]},
            {"who": "township_supervisor_and_director", "wait_seconds": 1, "channels": ["in_app"]},
            {"who": "county_duty_desk", "wait_seconds": 2, "channels": ["in_app", "sms"]},
        ],
        "repeat_seconds": 2,
    },
}
RAISE_CONNECTIONS = 24
STREAMS_AT_ONCE = 5


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's children that have been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine_busy() -> float:
    """CPU seconds the whole machine has spent busy since boot (all cores; Linux /proc/stat)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return float("nan")
    ticks = [int(f) for f in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", sql], check=True
    )


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of values; nan when there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, round(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


# ---- inside Django: setting up and checking (run as subprocesses) ----------------------------


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def setup_county(out: Path, streams: int, policy_name: str) -> None:
    """Accounts and tokens for the officers with the most children and for the directors of
    their children's villages; the short escalation policy. Writes them to `out` as JSON."""
    _django()
    from care365.accounts.models import Role, User
    from care365.accounts.services import api_token_create
    from care365.carers.models import CarerRole
    from care365.pairing.models import Pairing
    from care365.protection import services

    rows = Pairing.objects.filter(
        role=CarerRole.POLICE, until__isnull=True, child__exited_on__isnull=True
    ).values_list("carer_id", "child_id", "child__village_id")
    by_officer: dict[int, list[tuple[int, int]]] = {}
    for carer_id, child_id, village_id in rows:
        by_officer.setdefault(carer_id, []).append((child_id, village_id))
    chosen = sorted(by_officer, key=lambda c: (-len(by_officer[c]), c))[:streams]
    if len(chosen) < streams:
        raise SystemExit(f"only {len(chosen)} officers have children; seed more children")
    directors: dict[int, str] = {}
    officers = []
    for carer_id in chosen:
        user = User.objects.filter(carer_id=carer_id).first()
        if user is None:
            user = User.objects.create_user(
                username=f"bench-officer-{carer_id}", role=Role.POLICE, carer_id=carer_id
            )
        children = []
        for child_id, village_id in by_officer[carer_id]:
            if village_id not in directors:
                director = User.objects.filter(
                    role=Role.DIRECTOR, area_id=village_id, is_active=True
                ).first()
                if director is None:
                    director = User.objects.create_user(
                        username=f"bench-director-{village_id}",
                        role=Role.DIRECTOR,
                        area_id=village_id,
                    )
                directors[village_id] = api_token_create(user=director)
            children.append([child_id, directors[village_id]])
        officers.append(
            {"user": user.pk, "token": api_token_create(user=user), "children": children}
        )
    admin = User.objects.filter(role=Role.COUNTY_ADMIN, is_active=True).order_by("pk").first()
    assert admin is not None and admin.area is not None  # the demo made one
    services.escalation_policy_update(
        actor=admin,
        county=admin.area,
        steps=POLICIES[policy_name]["steps"],
        repeat_seconds=POLICIES[policy_name]["repeat_seconds"],
        desk_phone="13700000009",
    )
    out.write_text(json.dumps({"officers": officers}))


def check_database(out: Path, stopped_iso: str) -> None:
    """After the storm: hand over what killed workers held, then count steps, lateness and
    notifications. Writes the findings to `out` as JSON."""
    _django()
    from datetime import datetime, timedelta

    from django.db.models import Count
    from django.utils import timezone

    from care365.protection import services
    from care365.protection.models import Alert, AlertEvent, InAppEvent, Notification, State

    stopped = datetime.fromisoformat(stopped_iso)
    # Messages a killed worker was sending: a surviving worker takes them over when the lease
    # runs out; do that now rather than wait 30 s.
    later = timezone.now() + timedelta(seconds=31)
    for _ in range(100):
        if not Notification.objects.filter(
            state__in=[Notification.State.PENDING, Notification.State.SENDING],
            next_attempt_at__lte=later,
        ).exists():
            break
        services.outbox_send(now=later)

    alerts = {a["pk"]: a for a in Alert.objects.values("pk", "level", "state", "acknowledged_at")}
    steps = Counter(
        AlertEvent.objects.filter(kind__in=["raised", "escalated"]).values_list("alert_id", "level")
    )
    doubled = sum(n - 1 for n in steps.values() if n > 1)
    fired: dict[int, set[int]] = {}
    for alert_id, level in steps:
        if level is not None:
            fired.setdefault(alert_id, set()).add(level)
    missing = 0
    for pk, alert in alerts.items():
        missing += len(set(range(alert["level"] + 1)) - fired.get(pk, set()))
    overdue = Alert.objects.filter(
        state=State.OPEN, next_step_at__lt=stopped - timedelta(seconds=2)
    ).count()
    after_ack = 0
    lateness = []
    for alert_id, at, due_at in AlertEvent.objects.filter(kind="escalated").values_list(
        "alert_id", "at", "due_at"
    ):
        acked = alerts[alert_id]["acknowledged_at"]
        if acked is not None and at > acked:
            after_ack += 1
        if due_at is not None:
            lateness.append((at - due_at).total_seconds())
    notifications = Notification.objects.all()
    keys_twice = (
        notifications.values("idempotency_key").annotate(n=Count("pk")).filter(n__gt=1).count()
    )
    in_app = notifications.filter(channel="in_app").count()
    in_app_events = InAppEvent.objects.filter(notification__isnull=False).count()
    states = Counter(notifications.values_list("channel", "state"))
    sms_keys = list(
        notifications.filter(channel="sms", state=Notification.State.SENT).values_list(
            "idempotency_key", flat=True
        )
    )
    out.write_text(
        json.dumps(
            {
                "alerts": len(alerts),
                "acknowledged": sum(1 for a in alerts.values() if a["acknowledged_at"]),
                "steps": sum(steps.values()),
                "escalations": len(lateness),
                "steps_doubled": doubled,
                "steps_missing": missing,
                "overdue_at_stop": overdue,
                "steps_after_ack": after_ack,
                "lateness": lateness,
                "notifications": notifications.count(),
                "notification_states": {f"{c}/{s}": n for (c, s), n in states.items()},
                "keys_twice": keys_twice,
                "in_app": in_app,
                "in_app_events": in_app_events,
                "sms_keys": sms_keys,
            }
        )
    )


# ---- the SMS gateway's stand-in ----------------------------------------------------------------


@dataclass
class Gateway:
    received: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    def start(self) -> str:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keeps connections alive, as real gateways do
            disable_nagle_algorithm = True  # headers and body leave at once, as from a real server

            def do_POST(self) -> None:  # http.server's hook name
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with gateway.lock:
                    gateway.received[self.headers.get("Idempotency-Key", "")] += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:  # the hook's
                return

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                # A killed worker's kept-alive connection is reset: expected in this storm.
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/sms"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()


# ---- HTTP over asyncio (no client library needed) ------------------------------------------------


async def read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed")
    status = int(status_line.split()[1])
    headers = {}
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        key, _, value = line.decode("latin-1").partition(":")
        headers[key.strip().lower()] = value.strip()
    return status, headers


async def read_chunk(reader: asyncio.StreamReader) -> bytes:
    size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
    data = await reader.readexactly(size + 2)
    return data[:-2]


async def read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if "content-length" in headers:
        return await reader.readexactly(int(headers["content-length"]))
    if headers.get("transfer-encoding") == "chunked":
        parts = []
        while chunk := await read_chunk(reader):
            parts.append(chunk)
        return b"".join(parts)
    return await reader.read()


class Connection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, token: str, body: Any
    ) -> tuple[int, bytes, float]:
        """Status, body and the moment (monotonic) the request was written."""
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        data = json.dumps(body).encode()
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
        )
        sent = time.monotonic()
        self.writer.write(head.encode() + data)
        await self.writer.drain()
        status, headers = await read_head(self.reader)
        payload = await read_body(self.reader, headers)
        if headers.get("connection") == "close":
            self.writer.close()
        return status, payload, sent


@dataclass
class Run:
    port: int
    sent: dict[int, float] = field(default_factory=dict)  # alert id -> request written
    arrived: dict[int, float] = field(default_factory=dict)  # alert id -> level-0 event seen
    post_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    frames_doubled: int = 0
    frames_skipped: int = 0
    reconnects: int = 0
    acks: int = 0


async def stream(run: Run, token: str, ready: asyncio.Event, stop: asyncio.Event) -> None:
    """One officer's event stream; reconnects with Last-Event-ID if it ends."""
    last: int | None = None
    while not stop.is_set():
        reader, writer = await asyncio.open_connection("127.0.0.1", run.port)
        resume = f"Last-Event-ID: {last}\r\n" if last is not None else ""
        writer.write(
            (
                f"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                f"Authorization: Bearer {token}\r\n{resume}\r\n"
            ).encode()
        )
        await writer.drain()
        try:
            status, headers = await read_head(reader)
            if status != 200:
                run.errors[f"stream {status}"] += 1
                await asyncio.sleep(1)
                continue
            chunked = headers.get("transfer-encoding") == "chunked"
            buffer = b""
            while not stop.is_set():
                chunk = await (read_chunk(reader) if chunked else reader.read(65536))
                if not chunk:
                    break
                now = time.monotonic()
                buffer += chunk.replace(b"\r\n", b"\n")
                while b"\n\n" in buffer:
                    frame, buffer = buffer.split(b"\n\n", 1)
                    fields: dict[str, str] = {}
                    for line in frame.decode().split("\n"):
                        key, _, value = line.partition(":")
                        fields[key] = value.strip()
                    if "retry" in fields:
                        ready.set()
                    if "id" not in fields:
                        continue
                    seq = int(fields["id"])
                    if last is not None and seq <= last:
                        run.frames_doubled += 1
                        continue
                    if last is not None and seq > last + 1:
                        run.frames_skipped += seq - last - 1
                    last = seq
                    if fields.get("event") == "alert":
                        data = json.loads(fields["data"])
                        if data.get("level") == 0:
                            run.arrived.setdefault(int(data["alert"]), now)
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            pass
        finally:
            writer.close()
        if not stop.is_set():
            run.reconnects += 1


async def raise_alerts(
    run: Run, officers: list[dict[str, Any]], seconds: float, rate: float, ack: float
) -> float:
    """Raise `rate` alerts a second for `seconds`; returns the achieved rate."""
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(RAISE_CONNECTIONS):
        pool.put_nowait(Connection(run.port))
    rng = random.Random(1)
    tasks: set[asyncio.Task[None]] = set()
    # Each alert for a different child, in a random order: a second raise for a child with an
    # open alert is folded into it ("raised again") and would not be a new alert to time.
    targets = [(officer, child) for officer in officers for child in officer["children"]]
    rng.shuffle(targets)
    raised = itertools.count()

    async def acknowledge(alert_id: int, token: str) -> None:
        await asyncio.sleep(1.0)
        conn = await pool.get()
        try:
            status, _body, _sent = await conn.request(
                "POST", f"/api/v1/alerts/{alert_id}/acknowledge", token, {"note": ""}
            )
            run.acks += status == 200
            if status != 200:
                run.errors[f"ack {status}"] += 1
        finally:
            pool.put_nowait(conn)

    async def raise_one() -> None:
        officer, (child_id, director_token) = targets[next(raised) % len(targets)]
        conn = await pool.get()
        try:
            status, body, sent = await conn.request(
                "POST", "/api/v1/alerts", director_token, {"child": child_id, "kind": "danger"}
            )
        except (ConnectionError, asyncio.IncompleteReadError, OSError) as exc:
            run.errors[type(exc).__name__] += 1
            conn.writer = None
            return
        finally:
            pool.put_nowait(conn)
        run.post_ms.append((time.monotonic() - sent) * 1000)
        if status != 201:
            run.errors[f"raise {status}"] += 1
            return
        alert_id = int(json.loads(body)["id"])
        run.sent[alert_id] = sent
        if rng.random() < ack:
            task = asyncio.create_task(acknowledge(alert_id, officer["token"]))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    loop = asyncio.get_running_loop()
    start = loop.time()
    total = int(seconds * rate)
    for i in range(total):
        delay = start + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(raise_one())
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    while tasks:
        await asyncio.gather(*list(tasks))
    return total / (loop.time() - start)


# ---- the run -------------------------------------------------------------------------------------


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [PYTHON, "-m", "care365.cli", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def heartbeats(kind: str, url: str) -> int:
    sql = "SELECT count(*) FROM core_workerheartbeat"
    if kind == "sqlite":
        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
            return int(db.execute(sql).fetchone()[0])
    import psycopg

    with psycopg.connect(url) as pg:
        row = pg.execute(sql).fetchone()
        return int(row[0]) if row else 0


async def storm(
    run: Run, officers: list[dict[str, Any]], args: argparse.Namespace, env: dict[str, str]
) -> dict[str, Any]:
    stop = asyncio.Event()
    ready = [asyncio.Event() for _ in officers]
    readers = []
    # Opened a few at a time, as officers sign in over a shift rather than in one millisecond.
    for first in range(0, len(officers), STREAMS_AT_ONCE):
        batch = list(zip(officers, ready, strict=True))[first : first + STREAMS_AT_ONCE]
        readers += [asyncio.create_task(stream(run, o["token"], r, stop)) for o, r in batch]
        await asyncio.wait_for(asyncio.gather(*(r.wait() for _o, r in batch)), timeout=60)
    print(f"  {len(readers)} streams open; storm for {args.seconds} s", file=sys.stderr)

    workers = [start_worker(env) for _ in range(args.workers)]
    up_by = time.monotonic() + 60
    while heartbeats(args.kind, env["DATABASE_URL"]) < args.workers:
        if time.monotonic() > up_by:
            raise SystemExit("the workers did not start")
        await asyncio.sleep(0.2)
    killed: list[int] = []

    async def killer() -> None:
        for i in range(args.kills):
            await asyncio.sleep((args.seconds + args.drain) / (args.kills + 1))
            victim = workers.pop(0)
            victim.send_signal(signal.SIGKILL)
            while victim.poll() is None:
                await asyncio.sleep(0.01)
            killed.append(victim.returncode)
            workers.append(start_worker(env))
            if i % 5 == 4:
                print(f"  {i + 1} workers killed", file=sys.stderr)

    kill_task = asyncio.create_task(killer())
    rate = await raise_alerts(run, officers, args.seconds, args.rate, args.ack)
    await asyncio.sleep(args.drain)  # the escalations go on; the streams hear them
    await kill_task
    await asyncio.sleep(5)  # events still on their way; the sweeps catch up
    stop.set()
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    await asyncio.sleep(3)
    from datetime import UTC, datetime

    stopped = datetime.now(UTC).isoformat()
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    clean = []
    for worker in workers:
        try:
            clean.append(worker.wait(timeout=30))
        except subprocess.TimeoutExpired:
            worker.kill()
            clean.append(worker.wait())
    return {"rate": rate, "killed": killed, "stopped": stopped, "terminated": clean}


def bench_database(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    env = dict(os.environ, CARE365_DEMO="1", CARE365_LOG_LEVEL="WARNING")
    tmp = Path(tempfile.mkdtemp(prefix="care365-bench-alerts-"))
    if kind == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    else:
        psql(f"DROP DATABASE IF EXISTS {PG_BENCH_DB}")
        psql(f"CREATE DATABASE {PG_BENCH_DB}")
        env["DATABASE_URL"] = PG_URL
    env["CARE365_DATA_DIR"] = str(tmp)
    if args.sweep_ms is not None:
        env["CARE365_SWEEP_INTERVAL_MS"] = str(args.sweep_ms)
    if args.plain is not None:
        env["CARE365_BENCH_PLAIN"] = args.plain  # the web processes serve bench.plain's app
    gateway = Gateway()
    env["CARE365_SMS_GATEWAY_URL"] = gateway.start()
    env["CARE365_SMS_GATEWAY_SECRET"] = GATEWAY_SECRET
    children = max(3000, 60 * args.streams)
    care365 = [PYTHON, "-m", "care365.cli"]
    server = None
    try:
        print(f"[{kind}] migrating, seeding {children:,} children, pairing...", file=sys.stderr)
        subprocess.run([*care365, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run(
            [*care365, "seed", "--children", str(children), "--seed", "1"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        subprocess.run(
            [*care365, "demo", "--no-serve"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        county = tmp / "county.json"
        this = [PYTHON, str(Path(__file__).resolve())]
        subprocess.run(
            [*this, "_setup", str(county), str(args.streams), args.policy],
            cwd=ROOT,
            env=env,
            check=True,
        )
        # Today's periodic jobs (risk list, digest, statistics...) run now, as on an installation
        # that has been running: the storm meets the steady state, not a first start.
        subprocess.run(
            [*care365, "worker", "--once"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        if kind == "postgres":
            subprocess.run(
                [
                    "psql",
                    "-h",
                    "127.0.0.1",
                    "-U",
                    "postgres",
                    "-d",
                    PG_BENCH_DB,
                    "-qc",
                    "VACUUM ANALYZE",
                ],
                check=True,
            )
        officers = json.loads(county.read_text())["officers"]
        port = free_port()
        server = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "uvicorn",
                "config.asgi:application" if args.plain is None else "bench.plain:application",
                "--port",
                str(port),
                "--workers",
                str(args.web),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            cwd=ROOT,
            env=env,
        )
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        time.sleep(1)  # the other web processes
        run = Run(port)
        before = (children_cpu(), own_cpu(), machine_busy(), time.monotonic())
        outcome = asyncio.run(storm(run, officers, args, env))
        # The workers have all been waited for (killed or stopped); the web processes run on.
        cpu = {
            "workers": children_cpu() - before[0],
            "client": own_cpu() - before[1],
            "machine": machine_busy() - before[2],
            "seconds": time.monotonic() - before[3],
        }
        server.terminate()
        server_cpu = children_cpu()
        server.wait(timeout=30)
        cpu["web"] = children_cpu() - server_cpu
        server = None
        found = tmp / "found.json"
        subprocess.run(
            [*this, "_check", str(found), outcome["stopped"]], cwd=ROOT, env=env, check=True
        )
        checked = json.loads(found.read_text())
        with gateway.lock:
            received = Counter(gateway.received)
        sms_keys = set(checked.pop("sms_keys"))
        latency = [(run.arrived[a] - run.sent[a]) * 1000 for a in run.sent if a in run.arrived]
        return {
            **checked,
            **outcome,
            "raised": len(run.sent),
            "latency": latency,
            "no_event": sum(1 for a in run.sent if a not in run.arrived),
            "post_ms": run.post_ms,
            "errors": dict(run.errors),
            "frames_doubled": run.frames_doubled,
            "frames_skipped": run.frames_skipped,
            "reconnects": run.reconnects,
            "acks": run.acks,
            "sms_sent": len(sms_keys),
            "sms_not_received": len(sms_keys - set(received)),
            "sms_resent": sum(n - 1 for n in received.values() if n > 1),
            "sms_unknown": len(set(received) - sms_keys),
            "cpu": cpu,
        }
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        gateway.stop()
        if kind == "postgres":
            psql(f"DROP DATABASE IF EXISTS {PG_BENCH_DB}")
        shutil.rmtree(tmp, ignore_errors=True)


def lines(kind: str, r: dict[str, Any]) -> Iterator[str]:
    lat, late, post = r["latency"], r["lateness"], r["post_ms"]
    yield (
        f"{kind}: {r['raised']} alerts raised at {r['rate']:.1f}/s, {r['acks']} acknowledged, "
        f"{len(r['killed'])} workers killed (SIGKILL), {r['reconnects']} stream reconnects"
    )
    yield (
        f"  raise -> officer's stream  p50 {statistics.median(lat):.1f} ms  "
        f"p99 {pct(lat, 99):.1f} ms  max {max(lat):.1f} ms  ({len(lat)} events, "
        f"{r['no_event']} alerts without an event)"
    )
    yield (
        f"  POST /api/v1/alerts        p50 {statistics.median(post):.1f} ms  "
        f"p99 {pct(post, 99):.1f} ms"
    )
    if late:
        yield (
            f"  step lateness              p50 {statistics.median(late) * 1000:.0f} ms  "
            f"p99 {pct(late, 99) * 1000:.0f} ms  max {max(late) * 1000:.0f} ms  "
            f"({r['escalations']} escalations)"
        )
    yield (
        f"  steps {r['steps']}: missing {r['steps_missing']}, doubled {r['steps_doubled']}, "
        f"overdue when the workers stopped {r['overdue_at_stop']}, "
        f"after an acknowledgement {r['steps_after_ack']}"
    )
    yield (
        f"  notifications {r['notifications']}: key twice {r['keys_twice']}, in-app "
        f"{r['in_app']} -> events {r['in_app_events']}, stream frames doubled "
        f"{r['frames_doubled']} skipped {r['frames_skipped']}; SMS sent {r['sms_sent']}, "
        f"not received {r['sms_not_received']}, sent again after a kill {r['sms_resent']} "
        f"(same key), unknown {r['sms_unknown']}"
    )
    yield f"  states {r['notification_states']}"
    cpu = r["cpu"]
    rest = cpu["machine"] - cpu["web"] - cpu["workers"] - cpu["client"]
    cores = os.cpu_count() or 1
    yield (
        f"  CPU seconds over the {cpu['seconds']:.0f} s of the storm ({cores} cores give "
        f"{cores * cpu['seconds']:.0f}): web (since it started) {cpu['web']:.0f}, "
        f"workers {cpu['workers']:.0f}, this client and its SMS receiver {cpu['client']:.0f}, "
        f"the rest of the machine (the database, anything else) {rest:.0f}"
    )
    if r["errors"]:
        yield f"  errors {r['errors']}"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_setup":
        setup_county(Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_check":
        check_database(Path(sys.argv[2]), sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--streams", type=int, default=100)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--web", type=int, default=2, help="uvicorn processes")
    parser.add_argument("--ack", type=float, default=0.1, help="share of alerts acknowledged")
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--policy", choices=sorted(POLICIES), default="default")
    parser.add_argument(
        "--drain", type=float, default=None, help="seconds to run on after the last alert"
    )
    parser.add_argument("--sweep-ms", type=int, default=None, help="the workers' sweep interval")
    parser.add_argument(
        "--fault",
        action="store_true",
        help="the fault test's storm at its rate: 45 alerts at 15/s, 2 kills, 3 workers "
        "sweeping every 50 ms, its policy (1 s, 1 s, 1 s, then the desk every 2 s), 10 streams",
    )
    parser.add_argument(
        "--plain",
        metavar="MEASURES",
        default=None,
        help="serve the app with these speed measures replaced by plain Django (bench/plain.py)",
    )
    args = parser.parse_args()
    if args.fault:
        args.seconds, args.rate, args.kills, args.workers = 3.0, 15.0, 2, 3
        args.streams, args.policy, args.sweep_ms = 10, "fault", 50
        args.drain = 5.0 if args.drain is None else args.drain
    if args.drain is None:
        args.drain = 65.0 if args.policy == "default" else 5.0
    results: dict[str, dict[str, Any]] = {}
    for kind in args.db.split(","):
        args.kind = kind
        results[kind] = bench_database(kind, args)
        print("\n".join(lines(kind, results[kind])), file=sys.stderr)
    print(
        f"\ninstant protection: {args.streams} streams, {args.rate:g} alerts/s for "
        f"{args.seconds:g} s then {args.drain:g} s more, {args.policy} policy, "
        f"{args.kills} worker kills, {args.workers} workers, "
        f"{args.web} uvicorn processes"
    )
    for kind, r in results.items():
        print("\n".join(lines(kind, r)))
    if {"sqlite", "postgres"} <= results.keys():
        pg, sq = results["postgres"], results["sqlite"]
        print(
            "\nratio postgres/sqlite: raise->event p50 "
            f"{statistics.median(pg['latency']) / statistics.median(sq['latency']):.2f}, p99 "
            f"{pct(pg['latency'], 99) / pct(sq['latency'], 99):.2f}; step lateness p99 "
            f"{pct(pg['lateness'], 99) / max(pct(sq['lateness'], 99), 1e-9):.2f}"
        )
    print(
        f"\nreproduce: .venv/bin/python bench/alerts.py --seconds {args.seconds:g} "
        f"--rate {args.rate:g} --streams {args.streams} --kills {args.kills} "
        f"--workers {args.workers} --web {args.web} --ack {args.ack:g} --db {args.db} "
        f"--policy {args.policy} --drain {args.drain:g}"
        + (f" --sweep-ms {args.sweep_ms}" if args.sweep_ms is not None else "")
        + (f" --plain {args.plain}" if args.plain is not None else "")
    )


if __name__ == "__main__":
    main()
