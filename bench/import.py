"""Import rate of `care365 import children` on PostgreSQL, beside `care365 seed` and a raw COPY.

    .venv/bin/python bench/import.py [--xlsx-rows 100000,300000] [--csv-rows 1000000]
                                     [--seed-rows 100000] [--timeout 1800]

In one run: writes a register per --xlsx-rows size as .xlsx (above 125,000 rows one is streamed
rather than decoded whole: core/imports/tabular.py) and one of --csv-rows as .csv
(the template's columns, every row valid, ID numbers unique), then on a fresh database
(care365_bench_import, on 127.0.0.1, dropped afterwards) with a county of 150 villages it times,
each as a separate process (wall clock, Django start-up included):
  - the dry run and the apply of the .xlsx, then of the .csv (each apply into an empty registry);
  - `care365 seed --children --seed-rows` (the seed's write path: COPY in chunks);
  - a raw COPY of the .csv's rows into a table of text columns (the floor: PostgreSQL alone).
Peak memory is each process's own maximum resident set (os.wait4). Every process is killed after
--timeout seconds; the database and the files are removed at the end whatever happens.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DB = "care365_bench_import"
URL = f"postgres://postgres@127.0.0.1:5432/{DB}"
COUNTY = "331127"
TOWNSHIPS, VILLAGES = 15, 10

HEADER = [
    "姓名", "性别", "出生日期", "民族", "公民身份号码", "所在村（社区）", "家庭住址", "就读学校",
    "年级", "儿童类别", "父亲姓名", "父亲状况", "父亲务工地点", "父亲联系电话", "母亲姓名",
    "母亲状况", "母亲联系电话", "委托监护人姓名", "与儿童关系", "委托监护人联系电话",
]  # fmt: skip
FAMILY = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "小明红华丽强伟芳娜敏静磊洋艳勇军杰娟涛超"
_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK = "10X98765432"


def id_number(born: date, seq: int) -> str:
    first = f"{COUNTY}{born:%Y%m%d}{seq:03d}"
    return first + _CHECK[sum(int(d) * w for d, w in zip(first, _WEIGHTS, strict=True)) % 11]


def village_name(t: int, v: int) -> str:
    return f"第{t + 1}镇{v + 1}村"


def rows(count: int):  # type: ignore[no-untyped-def]
    start = date(2011, 1, 1)
    for i in range(count):
        born = start + timedelta(days=i // 500)
        seq = (i % 500) * 2 + (i % 2)
        sex = "男" if seq % 2 else "女"
        t, v = (i // 7) % TOWNSHIPS, (i // 3) % VILLAGES
        village = village_name(t, v)
        name = FAMILY[i % 20] + GIVEN[(i // 20) % 20] + GIVEN[(i // 400) % 20]
        address = f"{village}{i % 90 + 1}号"
        father, guardian = f"139{i % 100_000_000:08d}", f"0578-5{i % 1_000_000:06d}"
        yield [
            name, sex, born.isoformat(), "汉族", id_number(born, seq), village, address,
            "中心小学", "小学三年级", "留守儿童", FAMILY[i % 20] + "建国", "外出务工",
            "浙江省杭州市", father, "李秀英", "在家", "", "王桂兰", "奶奶", guardian,
        ]  # fmt: skip


def write_csv(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows(count))


def write_xlsx(path: Path, count: int) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("儿童花名册")
    sheet.append(HEADER)
    for row in rows(count):
        sheet.append(row)
    book.save(path)


def psql(sql: str, db: str = "postgres") -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-qc", sql],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def env() -> dict[str, str]:
    return dict(os.environ, CARE365_DEMO="1", DATABASE_URL=URL, CARE365_LOG_LEVEL="WARNING")


CPU: dict[str, float] = {}
RUNNING: list[subprocess.Popen[bytes]] = []  # the process being timed, killed if we are stopped


def timed(args: list[str], timeout: float) -> tuple[float, float, str]:
    """Run a process: (seconds, peak resident MB, stdout); its CPU seconds go to CPU."""
    start = time.perf_counter()
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()  # noqa: SIM115  # closed below
    proc = subprocess.Popen(args, cwd=ROOT, env=env(), stdout=out, stderr=err)
    RUNNING[:] = [proc]
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            raise TimeoutError(" ".join(args[:4]))
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    CPU[" ".join(args[2:6])] = usage.ru_utime + usage.ru_stime
    out.seek(0)
    err.seek(0)
    text, problem = out.read().decode(), err.read().decode()
    out.close()
    err.close()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise RuntimeError(f"{args[2:4]} exited {code}: {problem[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, text


def care365(*args: str) -> list[str]:
    return [PYTHON, "-m", "care365.cli", *args]


def fresh_database(timeout: float) -> None:
    psql(f"DROP DATABASE IF EXISTS {DB}")
    psql(f"CREATE DATABASE {DB}")
    timed(care365("migrate", "-v0"), timeout)
    # The county, its townships and villages (codes as GB/T 2260 shapes them).
    script = (
        "from care365.areas.ancestors import county_parents_ensure\n"
        "from care365.areas.models import Area\n"
        f"parent = county_parents_ensure(Area, [('{COUNTY}', 28, 119.6)])['{COUNTY}']\n"
        f"c = Area.objects.create(level='county', code='{COUNTY}', name='县', latitude=28, "
        "longitude=119.6, parent=parent)\n"
        f"for t in range({TOWNSHIPS}):\n"
        f"    tw = Area.objects.create(level='township', code='{COUNTY}%03d' % (101 + t), "
        "name='第%d镇' % (t + 1), parent=c, latitude=28, longitude=119.6)\n"
        f"    for v in range({VILLAGES}):\n"
        "        Area.objects.create(level='village', code=tw.code + '%03d' % (201 + v), "
        "name='第%d镇%d村' % (t + 1, v + 1), parent=tw, latitude=28, longitude=119.6)\n"
    )
    timed(care365("shell", "-c", script), timeout)
    count = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", DB, "-Atc",
         "SELECT count(*) FROM areas_area WHERE level = 'village'"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    if int(count.stdout.strip()) != TOWNSHIPS * VILLAGES:
        raise RuntimeError("the county's villages were not made")


def empty_registry() -> None:
    psql(
        "SET client_min_messages = warning; TRUNCATE registry_child, registry_childstatus, "
        "registry_parent, registry_guardian, registry_duplicateflag, imports_importrowerror, "
        "imports_importrecord CASCADE",
        DB,
    )


def import_run(
    path: Path, *, dry: bool, timeout: float
) -> tuple[float, float, dict[str, int], float]:
    args = care365("import", "children", str(path), "--county", COUNTY, "--json")
    seconds, mb, out = timed([*args, "--dry-run"] if dry else args, timeout)
    cpu = CPU[" ".join(args[2:6])]
    result = json.loads(out)
    assert not result["errors"], result["errors"][:5]
    return seconds, mb, result, cpu


def raw_copy(path: Path, timeout: float) -> float:
    columns = ", ".join(f"c{i} text" for i in range(len(HEADER)))
    psql(f"DROP TABLE IF EXISTS bench_raw; CREATE UNLOGGED TABLE bench_raw ({columns})", DB)
    start = time.perf_counter()
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", DB, "-qc",
         f"\\copy bench_raw FROM '{path}' WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')"],
        check=True, timeout=timeout, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    psql("DROP TABLE bench_raw", DB)
    return seconds


def rows_applied() -> int:
    """Rows the running (or stopped) import has applied, from its record."""
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", DB, "-Atc",
         "SELECT coalesce(max(rows_done), 0) FROM imports_importrecord"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return int(out.stdout.strip() or 0)


def main() -> None:
    # Stopped from outside (Ctrl-C, kill): still drop the database and remove the files.
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--xlsx-rows",
        default="100000",
        help="rows of each .xlsx, comma-separated (e.g. 100000,300000)",
    )
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    parser.add_argument("--seed-rows", type=int, default=100_000)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--steps", default="xlsx,csv,copy,seed", help="which parts to run")
    args = parser.parse_args()
    steps = set(args.steps.split(","))
    folder = Path(tempfile.mkdtemp(prefix="care365-bench-import-"))
    # (what, rows, seconds, peak MB, CPU s); rows done instead of rows for a step that timed out
    results: list[tuple[str, int, float, float, float]] = []
    try:
        big = folder / "register.csv"
        xlsx_sizes = [int(n) for n in args.xlsx_rows.split(",") if n]
        xlsx_files = [(f"xlsx {n:,}", folder / f"register-{n}.xlsx", n) for n in xlsx_sizes]
        if "xlsx" in steps:
            for _label, path, count in xlsx_files:
                write_xlsx(path, count)
        if steps & {"csv", "copy"}:
            write_csv(big, args.csv_rows)
        load = os.getloadavg()[0]
        print(f"import rate, PostgreSQL, {os.cpu_count()} cores, load average {load:.1f}")
        fresh_database(args.timeout)
        files = [
            *(xlsx_files if "xlsx" in steps else []),
            (f"csv {args.csv_rows:,}", big, args.csv_rows),
        ]
        for label, path, count in files:
            if label.startswith("csv") and "csv" not in steps:
                continue
            empty_registry()
            dry, dry_mb, result, cpu = import_run(path, dry=True, timeout=args.timeout)
            assert result["rows"] == count, result
            results.append((f"{label} dry run", count, dry, dry_mb, cpu))
            print(f"  {label} dry run: {dry:.1f} s ({cpu:.1f} CPU s), {dry_mb:.0f} MB")
            try:
                applied, apply_mb, result, cpu = import_run(path, dry=False, timeout=args.timeout)
            except TimeoutError:
                done = rows_applied()
                print(f"  {label} apply: stopped after {args.timeout:.0f} s, {done:,} "
                      "rows applied", flush=True)  # fmt: skip
                results.append((f"{label} apply (stopped)", done, args.timeout, 0.0, 0.0))
                continue
            assert result["created"] == count, result
            results.append((f"{label} apply", count, applied, apply_mb, cpu))
            print(f"  {label} apply: {applied:.1f} s ({cpu:.1f} CPU s), {apply_mb:.0f} MB")
            sys.stdout.flush()
        if "copy" in steps:
            copy = raw_copy(big, args.timeout)
            results.append(("csv raw COPY", args.csv_rows, copy, 0.0, 0.0))
            print(f"  raw COPY {args.csv_rows:,}: {copy:.1f} s", flush=True)
        if "seed" in steps:
            fresh_database(args.timeout)
            seed_args = care365("seed", "--children", str(args.seed_rows), "--seed", "1", "-v0")
            seed, seed_mb, _out = timed(seed_args, args.timeout)
            seed_cpu = CPU[" ".join(seed_args[2:6])]
            results.append(("care365 seed", args.seed_rows, seed, seed_mb, seed_cpu))
            print(f"  seed {args.seed_rows:,}: {seed:.1f} s ({seed_cpu:.1f} CPU s)", flush=True)
        print(
            "\n| what | rows | seconds | rows/s | CPU s (this process) | peak MB |\n"
            "| --- | ---: | ---: | ---: | ---: | ---: |"
        )
        for what, count, seconds, mb, cpu in results:
            print(
                f"| {what} | {count:,} | {seconds:.1f} | {count / seconds:,.0f} | {cpu:.1f} "
                f"| {mb:.0f} |"
            )
        rate = {what: count / seconds for what, count, seconds, _mb, _cpu in results}
        print("\nratios:")
        for label, _path, _count in files:
            if f"{label} dry run" in rate and f"{label} apply" in rate:
                ratio = rate[f"{label} apply"] / rate[f"{label} dry run"]
                print(f"  {label}: dry run time / apply time {ratio:.2f} (goal < 0.33)")
        for other in ("care365 seed", "csv raw COPY"):
            for label in (f"{name} apply" for name, _path, _count in files):
                if label in rate and other in rate:
                    print(f"  {label} rate / {other} rate {rate[label] / rate[other]:.3f}")
        print(f"\nload average at the end {os.getloadavg()[0]:.1f}")
    finally:
        for proc in RUNNING:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        shutil.rmtree(folder, ignore_errors=True)
        psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
