"""An app process loads its URLs (the API with them) before its first request."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PROBE = (
    "import json, sys\n"
    "import config.{entry}\n"
    "print(json.dumps({{'urls': 'config.urls' in sys.modules,"
    " 'api': 'config.api' in sys.modules}}))\n"
)


@pytest.mark.parametrize("entry", ["asgi", "wsgi"])
def test_the_app_entry_points_warm_up(entry: str) -> None:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings")
    out = subprocess.run(  # noqa: S603  # our own interpreter and a fixed probe
        [sys.executable, "-c", PROBE.format(entry=entry)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    found = json.loads(out.strip().splitlines()[-1])
    assert found["urls"] and found["api"]
