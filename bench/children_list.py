"""Children list latency with 100,000 children: page and API, p50 and p95, SQLite and PostgreSQL.

    .venv/bin/python bench/children_list.py [--children N] [--requests N] [--db sqlite,postgres]
                                            [--ab MEASURES [--rounds N]]

For each database: migrate a fresh database, seed a synthetic county, create the demo logins,
start the app under uvicorn on 127.0.0.1, and time requests over loopback (one client, requests
in sequence, after a warm-up), as the county admin (the whole county in scope) and as a village
director. Each request asks for a random page, and some add a filter. Prints medians and 95th
percentiles per case and the PostgreSQL/SQLite ratio. The goal is p95 <= 50 ms.

With --ab, an A/B run of the app's speed measures instead (bench/plain.py): the app as it is and,
for each variant (`listselect/rows_by_id`: two variants), the app with those measures replaced
by plain Django, served side by side from one database. --rounds times, every case is asked of
every app request by request (the same requests, each app in turn), so that other work on the
machine slows them alike; besides the list's cases, a child's page and API record and the
director's home page. Prints, per variant and case, the median over the rounds of each round's
p50 and p95 and the ratio plain/with. At 10,000 children, 30 requests and 5 rounds, a variant
adds about 3 minutes:

    .venv/bin/python bench/children_list.py --children 10000 --requests 30 --rounds 5 \
        --ab listselect/rows_by_id --db sqlite

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


def prepare_database(kind: str, children: int) -> tuple[dict[str, str], str]:
    """A fresh database with `children` seeded and the demo logins: (environment, its temp dir)."""
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
    return env, tmp


def drop_database(kind: str, tmp: str) -> None:
    if kind == "postgres":
        psql(f"DROP DATABASE IF EXISTS {PG_BENCH_DB}")
    shutil.rmtree(tmp, ignore_errors=True)


def serve(env: dict[str, str], plain: str | None = None) -> tuple[subprocess.Popen[bytes], int]:
    """uvicorn serving the app on a free port, once it answers; with `plain`, the app with those
    speed measures replaced by plain Django (bench/plain.py)."""
    port = free_port()
    app = "config.asgi:application"
    if plain is not None:
        env = dict(env, CARE365_BENCH_PLAIN=plain)
        app = "bench.plain:application"
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "uvicorn",
            app,
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--timeout-keep-alive",  # the A/B clients wait idle while the other app is timed
            "600",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(150):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.2)
    return server, port


def list_cases(
    client: Client, username: str, auth: dict[str, str], children: int, rng: random.Random
) -> dict[str, Callable[[], tuple[int, str]]]:
    """The page and the API of the children list for one signed-in user."""
    pages = max(1, min(200, children // 25 if username == "admin" else 20))

    def page_request() -> tuple[int, str]:
        params = {"page": rng.randint(1, pages)}
        if rng.random() < 0.3:
            params["sex"] = rng.choice(["M", "F"])
        if rng.random() < 0.2:
            params["status"] = "left_behind"
        return client.request("GET", "/children/?" + urlencode(params))[0], filters(params)

    def api_request() -> tuple[int, str]:
        params = {"limit": 25, "offset": 25 * (rng.randint(1, pages) - 1)}
        if rng.random() < 0.3:
            params["sex"] = rng.choice(["M", "F"])
        if rng.random() < 0.2:
            params["status"] = "left_behind"
        status = client.request("GET", "/api/v1/children?" + urlencode(params), None, auth)[0]
        return status, filters(params)

    return {f"page  {username}": page_request, f"api   {username}": api_request}


def bench_database(kind: str, children: int, requests: int) -> dict[str, list[tuple[float, str]]]:
    env, tmp = prepare_database(kind, children)
    server, port = serve(env)
    try:
        rng = random.Random(7)
        results: dict[str, list[tuple[float, str]]] = {}
        for username in ("admin", "director"):
            client = Client(port)
            client.sign_in(username)
            auth = {"Authorization": f"Bearer {client.api_token(username)}"}
            for case, fn in list_cases(client, username, auth, children, rng).items():
                results[case] = timed(fn, requests)
        return results
    finally:
        server.terminate()
        server.wait(timeout=30)
        drop_database(kind, tmp)


def ab_cases(
    port: int, children: int, rng: random.Random
) -> dict[str, Callable[[], tuple[int, str]]]:
    """The list's cases, and a child's page and API record (the access layer and the access
    log's write and watch, for a child at random), and the director's home page."""
    cases: dict[str, Callable[[], tuple[int, str]]] = {}
    for username in ("admin", "director"):
        client = Client(port)
        client.sign_in(username)
        auth = {"Authorization": f"Bearer {client.api_token(username)}"}
        cases.update(list_cases(client, username, auth, children, rng))
        status, data = client.request("GET", "/api/v1/children?limit=100&offset=0", None, auth)
        assert status == 200, status
        ids = [row["id"] for row in json.loads(data)["items"]]

        def child_page(c: Client = client, ids: list[int] = ids) -> tuple[int, str]:
            return c.request("GET", f"/children/{rng.choice(ids)}/")[0], "none"

        def child_api(
            c: Client = client, ids: list[int] = ids, auth: dict[str, str] = auth
        ) -> tuple[int, str]:
            return c.request("GET", f"/api/v1/children/{rng.choice(ids)}", None, auth)[0], "none"

        cases[f"child {username}"] = child_page
        cases[f"child api {username}"] = child_api
        if username == "director":
            cases["home  director"] = lambda c=client: (c.request("GET", "/")[0], "none")  # type: ignore[misc]
    return cases


def bench_ab(
    kind: str, children: int, requests: int, variants: list[str], rounds: int
) -> dict[str, dict[str, list[list[float]]]]:
    """The app as it is ("with") and, for each variant, with those measures replaced by plain
    Django, served side by side from one database; each round times every case on every app
    in turn, the order rotating from round to round."""
    env, tmp = prepare_database(kind, children)
    servers = {"with": serve(env)} | {v: serve(env, v) for v in variants}
    try:
        cases = {
            name: ab_cases(port, children, random.Random(7)) for name, (_, port) in servers.items()
        }
        names = list(servers)
        results: dict[str, dict[str, list[list[float]]]] = {name: {} for name in names}
        for case in cases["with"]:
            for name in names:
                timed(cases[name][case], 0)  # warm-up
        for r in range(rounds):
            # Request by request, each app in turn (the order rotating), each asked the same:
            # a machine busy with other work slows the apps alike.
            order = names[r % len(names) :] + names[: r % len(names)]
            for case in cases["with"]:
                samples: dict[str, list[float]] = {name: [] for name in names}
                for _ in range(requests):
                    for name in order:
                        start = time.perf_counter()
                        status, _used = cases[name][case]()
                        samples[name].append((time.perf_counter() - start) * 1000)
                        assert status == 200, (name, case, status)
                for name in names:
                    results[name].setdefault(case, []).append(samples[name])
            print(f"[{kind}] round {r + 1}/{rounds} done", file=sys.stderr)
        return results
    finally:
        for server, _ in servers.values():
            server.terminate()
            server.wait(timeout=30)
        drop_database(kind, tmp)


def report_ab(args: argparse.Namespace) -> None:
    variants = args.ab.split("/")
    for kind in args.db.split(","):
        results = bench_ab(kind, args.children, args.requests, variants, args.rounds)
        print(
            f"\n[{kind}] A/B, {args.children:,} children, {args.rounds} rounds of "
            f"{args.requests} requests per case and app, request by request: the app as it is "
            "(with) and with each measure replaced by plain Django (bench/plain.py); the median "
            "over the rounds "
            "of each round's p50 and p95 (ms), and plain/with"
        )
        for variant in variants:
            print(f"\nplain {variant!r}")
            print(
                f"{'case':<20}{'with p50':>10}{'plain p50':>10}{'ratio':>8}"
                f"{'with p95':>10}{'plain p95':>10}{'ratio':>8}"
            )
            for case in results["with"]:
                w, p = results["with"][case], results[variant][case]
                w50 = statistics.median(statistics.median(x) for x in w)
                p50 = statistics.median(statistics.median(x) for x in p)
                w95 = statistics.median(p95(x) for x in w)
                p95_ = statistics.median(p95(x) for x in p)
                print(
                    f"{case:<20}{w50:>10.1f}{p50:>10.1f}{p50 / w50:>8.2f}"
                    f"{w95:>10.1f}{p95_:>10.1f}{p95_ / w95:>8.2f}"
                )
    print(
        f"\nreproduce: .venv/bin/python bench/children_list.py --children {args.children} "
        f"--requests {args.requests} --db {args.db} --ab {args.ab} --rounds {args.rounds}"
    )


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
    parser.add_argument(
        "--ab",
        metavar="MEASURES",
        help="compare the app as it is with the app with these speed measures replaced by plain "
        "Django (bench/plain.py): comma-separated measures replaced together, slash-separated "
        "variants served side by side, e.g. listselect/rows_by_id",
    )
    parser.add_argument("--rounds", type=int, default=5, help="A/B rounds (with --ab)")
    args = parser.parse_args()
    if args.ab:
        report_ab(args)
        return
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
