"""Children list latency with 100,000 children: page and API, p50 and p95, SQLite and PostgreSQL.

    .venv/bin/python bench/children_list.py [--children N] [--requests N] [--db sqlite,postgres]

For each database: migrate a fresh database, seed a synthetic county, create the demo logins,
start the app under uvicorn on 127.0.0.1, and time requests over loopback (one client, requests
in sequence, after a warm-up), as the county admin (the whole county in scope) and as a village
director. Each request asks for a random page, and some add a filter. Prints medians and 95th
percentiles per case and the PostgreSQL/SQLite ratio. The goal is p95 <= 50 ms.

On PostgreSQL the seeded tables are vacuumed and analysed before timing, as autovacuum does
shortly after a bulk load: without statistics the planner misjudges the status filter by orders
of magnitude (seconds per request), and a machine with autovacuum off never gets them.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "care365_bench_list"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(cmd: list[str], env: dict[str, str]) -> None:
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)


def psql(sql: str, database: str = "postgres") -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-qc", sql], check=True
    )


class Client:
    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        hdrs = dict(headers or {})
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.conn.request(method, path, body=body, headers=hdrs)
        resp = self.conn.getresponse()
        data = resp.read()
        for key, value in resp.getheaders():
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return resp.status, data

    def sign_in(self, username: str) -> None:
        status, page = self.request("GET", "/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert status == 200 and token, "login page without a CSRF token"
        form = urlencode(
            {"username": username, "password": "demo", "csrfmiddlewaretoken": token.group(1)}
        ).encode()
        status, _ = self.request(
            "POST",
            "/login/",
            form,
            {"Content-Type": "application/x-www-form-urlencoded", "Referer": "http://127.0.0.1/"},
        )
        assert status == 302, f"sign-in as {username} answered {status}"

    def api_token(self, username: str) -> str:
        body = json.dumps({"username": username, "password": "demo"}).encode()
        status, data = self.request(
            "POST", "/api/v1/auth/token", body, {"Content-Type": "application/json"}
        )
        assert status == 200, f"token for {username}: {status} {data[:200]!r}"
        return str(json.loads(data)["token"])


def timed(fn: Callable[[], tuple[int, str]], n: int) -> list[tuple[float, str]]:
    """Milliseconds of n requests after a warm-up, each with the filter it used."""
    for _ in range(10):
        fn()  # warm-up: connections, caches
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        status, used = fn()
        samples.append(((time.perf_counter() - start) * 1000, used))
        assert status == 200, status
    return samples


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18]


def bench_database(kind: str, children: int, requests: int) -> dict[str, list[tuple[float, str]]]:
    env = dict(os.environ, CARE365_DEMO="1")
    tmp = tempfile.mkdtemp(prefix="care365-bench-")
    if kind == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    else:
        psql(f"DROP DATABASE IF EXISTS {PG_BENCH_DB}")
        psql(f"CREATE DATABASE {PG_BENCH_DB}")
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_BENCH_DB}"
    env["CARE365_DATA_DIR"] = tmp
    care365 = [PYTHON, "-m", "care365.cli"]
    print(f"[{kind}] migrating and seeding {children:,} children...", file=sys.stderr)
    run([*care365, "migrate", "-v0"], env)
    run([*care365, "seed", "--children", str(children), "--seed", "1"], env)
    run([*care365, "demo", "--no-serve"], env)
    if kind == "postgres":
        psql("VACUUM ANALYZE", PG_BENCH_DB)
    port = free_port()
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        rng = random.Random(7)
        results: dict[str, list[tuple[float, str]]] = {}
        for username in ("admin", "director"):
            client = Client(port)
            client.sign_in(username)
            token = client.api_token(username)
            auth = {"Authorization": f"Bearer {token}"}
            pages = max(1, min(200, children // 25 if username == "admin" else 20))

            def page_request(c: Client = client, pages: int = pages) -> tuple[int, str]:
                params = {"page": rng.randint(1, pages)}
                if rng.random() < 0.3:
                    params["sex"] = rng.choice(["M", "F"])
                if rng.random() < 0.2:
                    params["status"] = "left_behind"
                return c.request("GET", "/children/?" + urlencode(params))[0], filters(params)

            def api_request(
                c: Client = client, pages: int = pages, auth: dict[str, str] = auth
            ) -> tuple[int, str]:
                params = {"limit": 25, "offset": 25 * (rng.randint(1, pages) - 1)}
                if rng.random() < 0.3:
                    params["sex"] = rng.choice(["M", "F"])
                if rng.random() < 0.2:
                    params["status"] = "left_behind"
                status = c.request("GET", "/api/v1/children?" + urlencode(params), None, auth)[0]
                return status, filters(params)

            results[f"page  {username}"] = timed(page_request, requests)
            results[f"api   {username}"] = timed(api_request, requests)
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)
        if kind == "postgres":
            psql(f"DROP DATABASE IF EXISTS {PG_BENCH_DB}")
        shutil.rmtree(tmp, ignore_errors=True)


def filters(params: Mapping[str, object]) -> str:
    """Which filters a request used: "none", "sex", "status" or "sex+status"."""
    return "+".join(k for k in ("sex", "status") if k in params) or "none"


def times(samples: list[tuple[float, str]], used: str | None = None) -> list[float]:
    return [ms for ms, f in samples if used is None or f == used]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--db", default="sqlite,postgres")
    args = parser.parse_args()
    all_results: dict[str, dict[str, list[float]]] = {}
    by_filter: dict[str, list[str]] = {}
    for kind in args.db.split(","):
        measured = bench_database(kind, args.children, args.requests)
        all_results[kind] = {case: times(s) for case, s in measured.items()}
        for case, samples in measured.items():
            parts = []
            for used in ("none", "sex", "status", "sex+status"):
                ms = times(samples, used)
                if len(ms) >= 2:
                    parts.append(f"{used} ({len(ms)}) {statistics.median(ms):.1f}/{p95(ms):.1f}")
            by_filter.setdefault(kind, []).append(f"  {case:<18}" + ", ".join(parts))
            # printed at once, so that a failure on the next database does not lose these
            print(f"[{kind}] {by_filter[kind][-1].strip()}", file=sys.stderr)
    print(
        f"\nchildren list, {args.children:,} children, {args.requests} requests per case "
        "(ms, one client over loopback)"
    )
    print(f"{'case':<18}" + "".join(f"{k + ' p50':>14}{k + ' p95':>14}" for k in all_results))
    cases = next(iter(all_results.values())).keys()
    for case in cases:
        line = f"{case:<18}"
        for kind in all_results:
            s = all_results[kind][case]
            line += f"{statistics.median(s):>14.1f}{p95(s):>14.1f}"
        print(line)
    if {"sqlite", "postgres"} <= all_results.keys():
        print("\np95 ratio postgres/sqlite:")
        for case in cases:
            ratio = p95(all_results["postgres"][case]) / p95(all_results["sqlite"][case])
            print(f"  {case:<18}{ratio:.2f}")
    for kind, lines in by_filter.items():
        print(f"\n{kind}, by filter used (requests) p50/p95 ms:")
        print("\n".join(lines))
    print(
        f"\nreproduce: .venv/bin/python bench/children_list.py --children {args.children} "
        f"--requests {args.requests} --db {args.db}"
    )


if __name__ == "__main__":
    main()
