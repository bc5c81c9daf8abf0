"""Edges (pages and the API) parse, ask, call one selector or service and render (DESIGN.md,
"Layers"): they never query a model themselves and never compare a role; reads go through the
selectors and the access layer, rules through the predicates in each app's `access.py`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "care365"


def edge_modules() -> list[Path]:
    found = [
        *ROOT.glob("*/views.py"),
        *ROOT.glob("*/api.py"),
        *ROOT.glob("*/views/*.py"),
        *ROOT.glob("*/views_*.py"),
        *ROOT.glob("*/api_*.py"),
    ]
    return sorted(p for p in found if "tests" not in p.parts)


def _offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "objects":
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} queries .objects")
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(isinstance(s, ast.Attribute) and s.attr == "role" for s in sides):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} compares a role")
    return found


def test_the_edges_are_found() -> None:
    names = {str(p.relative_to(ROOT)) for p in edge_modules()}
    assert {"registry/views.py", "care/api.py", "web/views/home.py"} <= names
    assert {"network/views_staff.py", "network/api_staff.py"} <= names


@pytest.mark.parametrize("path", edge_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_edge_queries_a_model_or_compares_a_role(path: Path) -> None:
    assert _offences(path) == []


def test_the_check_sees_a_query_and_a_role_comparison(tmp_path: Path) -> None:
    bad = ROOT / "registry" / "_probe_edge.py"
    try:
        bad.write_text(
            "def view(user):\n    if user.role == 'police':\n        return Child.objects.all()\n",
            encoding="utf-8",
        )
        assert len(_offences(bad)) == 2
    finally:
        bad.unlink()
