"""Where an import's time goes: `care365 import children FILE` run in this process, with a timer
around each step of the apply.

    CARE365_DEMO=1 DATABASE_URL=postgres://... .venv/bin/python bench/import_steps.py FILE \
        [--county 331127]

Run it on a migrated database with the county's villages, as bench/import.py's
`fresh_database` makes them (its DB, URL and COUNTY). It prints the import's JSON, then the wall
clock and this process's CPU seconds, and the seconds spent in each step (a step inside another
counts in both): the check of the whole file, each chunk's apply, the children written, their
statuses, parents and entrusted carers, the audit rows, the possible duplicates, the registry's
listeners (the next-due dates), the commits and the tables' statistics.
With chunks overlapping (`CARE365_IMPORT_OVERLAP`, on by default on PostgreSQL) two chunks'
steps run at once, so their seconds add up to more than the wall clock; `CARE365_IMPORT_OVERLAP=0`
runs one chunk at a time.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # after the path and settings above

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402

from care365.imports import services  # noqa: E402
from care365.registry import imports  # noqa: E402

SECONDS: Counter[str] = Counter()
CALLS: Counter[str] = Counter()
LOCK = threading.Lock()  # chunks overlap in two threads


def timed(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            with LOCK:
                SECONDS[label] += time.perf_counter() - start
                CALLS[label] += 1

    return run


def instrument() -> None:
    importer = imports.ChildImporter
    for name in ("check", "recheck", "_create", "_copy_children", "_flag_duplicates"):
        setattr(importer, name, timed(f"ChildImporter.{name}", getattr(importer, name)))
    attached = importer.__dict__["_copy_attached"].__func__  # a staticmethod
    importer._copy_attached = staticmethod(timed("ChildImporter._copy_attached", attached))  # type: ignore[method-assign]
    # The names as the modules imported them.
    imports.audit_append_rows = timed("audit rows", imports.audit_append_rows)  # type: ignore[assignment]
    imports.children_changed_now = timed("listeners (next-due dates)", imports.children_changed_now)  # type: ignore[assignment]
    services.import_check = timed("check of the whole file", services.import_check)  # type: ignore[assignment]
    services._Chunk.run = timed("chunks applied", services._Chunk.run)  # type: ignore[method-assign]
    services.tables_analyze = timed("tables analysed", services.tables_analyze)  # type: ignore[assignment]
    wrapper = type(connections["default"])  # every thread's connection
    wrapper.commit = timed("commits", wrapper.commit)  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--county", default="331127")
    args = parser.parse_args()
    instrument()
    wall, cpu = time.perf_counter(), time.process_time()
    call_command("import", "children", args.file, "--county", args.county, "--json")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"\nwall {wall:.1f} s, this process's CPU {cpu:.1f} s")
    for label, seconds in SECONDS.most_common():
        print(f"{seconds:8.1f} s  {CALLS[label]:6d} calls  {label}")


if __name__ == "__main__":
    main()
