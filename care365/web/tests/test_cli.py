"""The `care365` console script on a fresh install: no CARE365_* setting at all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("care365")


def care365(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the installed console script in a clean environment: no CARE365_* variable, no
    DJANGO_SETTINGS_MODULE, no DATABASE_URL."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "LANG": "C.UTF-8"}
    return subprocess.run(  # noqa: S603  # our own console script and fixed arguments
        [str(SCRIPT), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("args", [(), ("--help",), ("help",), ("help", "growth"), ("pair", "-h")])
def test_the_help_needs_no_setting(tmp_path: Path, args: tuple[str, ...]) -> None:
    done = care365(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "CARE365_SECRET_KEY" not in done.stderr
    assert "usage" in done.stdout.lower() or "subcommand" in done.stdout.lower()


def test_growth_and_screen_need_no_setting(tmp_path: Path) -> None:
    growth = care365(
        "growth", "--sex", "F", "--age-months", "120", "--height-cm", "140", cwd=tmp_path
    )
    assert growth.returncode == 0, growth.stderr
    assert json.loads(growth.stdout)["zhfa"] == pytest.approx(0.21, abs=0.05)

    screen = care365(
        "screen", "--instrument", "phq9", "--answers", "1,0,2,1,0,0,0,0,0", cwd=tmp_path
    )
    assert screen.returncode == 0, screen.stderr
    assert json.loads(screen.stdout)["total"] == 4


def test_pair_from_a_file_needs_no_setting(tmp_path: Path) -> None:
    instance = {
        "children": [{"id": "c1", "lat": 28.0, "lon": 120.0, "consent": True}],
        "carers": [{"id": "p1", "role": "police", "lat": 28.01, "lon": 120.0, "capacity": 1}],
    }
    (tmp_path / "instance.json").write_text(json.dumps(instance), encoding="utf-8")
    done = care365("pair", "--instance", "instance.json", "--out", "result.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert [(a["child"], a["carer"]) for a in result["assignments"]] == [("c1", "p1")]
    assert not list(tmp_path.glob("**/*.sqlite3"))  # it touched no database


@pytest.mark.parametrize(
    "args", [("migrate",), ("check",), ("pair", "--county", "331127", "--instance", "x.json")]
)
def test_commands_that_reach_the_database_still_need_real_keys(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    done = care365(*args, cwd=tmp_path)
    assert done.returncode != 0
    assert "environment variable CARE365_SECRET_KEY is required" in done.stderr
