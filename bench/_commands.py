"""What the benchmarks that seed a database of their own share: the environment of a child
process for a database, `care365` commands timed, and SQL run as the PostgreSQL superuser."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def env_for(url: str) -> dict[str, str]:
    """The environment of a process that works on the database at `url`."""
    return dict(
        os.environ, CARE365_DEMO="1", DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings"
    )


def manage(env: dict[str, str], *args: str) -> float:
    """Run `care365 <args>` in `env`; the seconds it took."""
    start = time.perf_counter()
    subprocess.run(
        [PYTHON, "-m", "care365.cli", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def psql(sql: str) -> str:
    """Run one SQL statement as the superuser (on the `postgres` database); its rows as text."""
    out = subprocess.run(
        ["psql", PG_ADMIN_URL, "-qtA", "-c", sql], check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


def psql_in(database: str, sql: str) -> str:
    """Run one SQL statement as the superuser on `database`; its rows as text."""
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database
    out = subprocess.run(
        ["psql", url, "-qtA", "-c", sql], check=True, capture_output=True, text=True
    )
    return out.stdout.strip()


def db_name(text: str) -> str:
    """An argparse type: a PostgreSQL database name the benchmarks may create and keep."""
    if text and not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", text):
        raise argparse.ArgumentTypeError("a database name: lower-case letters, digits and _")
    return text
