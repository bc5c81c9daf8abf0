"""The Chinese catalogue covers every string, and the committed .mo is the compiled .po."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise

ROOT = Path(settings.BASE_DIR)
CATALOG = ROOT / "care365" / "locale" / "zh_Hans" / "LC_MESSAGES"
CJK = re.compile(r"[\u4e00-\u9fff]")
GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy", "ngettext"}


def _po() -> polib.POFile:
    return polib.pofile(str(CATALOG / "django.po"))


def _translations(entries: list[polib.POEntry]) -> dict[tuple[str | None, str], object]:
    return {
        (e.msgctxt, e.msgid): (
            tuple(sorted(e.msgstr_plural.items())) if e.msgid_plural else e.msgstr
        )
        for e in entries
        if e.msgid and not e.obsolete
    }


def test_committed_mo_matches_the_po() -> None:
    po = _po()
    mo = polib.mofile(str(CATALOG / "django.mo"))
    translated = [e for e in po if e.translated()]
    assert _translations(list(mo)) == _translations(translated)


def test_no_message_is_left_untranslated_or_fuzzy() -> None:
    po = _po()
    assert not po.metadata_is_fuzzy
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    assert po.metadata["Plural-Forms"].startswith("nplurals=1;")


def _python_msgids() -> set[str]:
    """Every literal passed to a gettext function in the project's Python code."""
    found: set[str] = set()
    for path in (ROOT / "care365").rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            args = node.args[1:] if name.startswith("pgettext") else node.args
            first = args[0] if args else None
            if name in GETTEXT_NAMES and isinstance(first, ast.Constant):
                found.add(str(first.value))
    return found


def _template_msgids() -> set[str]:
    pattern = re.compile(r"""\{%\s*(?:translate|trans)\s+(["'])(.+?)\1""")
    found: set[str] = set()
    for path in (ROOT / "care365").rglob("templates/**/*.html"):
        found |= {m.group(2) for m in pattern.finditer(path.read_text(encoding="utf-8"))}
    return found


def test_every_string_in_code_and_templates_is_in_the_catalogue() -> None:
    """Catches a new string added without running `make messages` (makemessages + compile)."""
    msgids = {e.msgid for e in _po() if not e.obsolete}
    missing = (_python_msgids() | _template_msgids()) - msgids
    assert sorted(missing) == []


def _model_labels() -> list[tuple[str, Promise]]:
    labels: list[tuple[str, Promise]] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("care365."):
            continue
        for model in config.get_models():
            meta = model._meta
            for name in ("verbose_name", "verbose_name_plural"):
                value = getattr(meta, name)
                if isinstance(value, Promise):
                    labels.append((f"{meta.label}.{name}", value))
            for f in meta.get_fields():
                verbose = getattr(f, "verbose_name", None)
                if isinstance(verbose, Promise):
                    labels.append((f"{meta.label}.{f.name}", verbose))
                for value, label in getattr(f, "flatchoices", None) or []:
                    if isinstance(label, Promise):
                        labels.append((f"{meta.label}.{f.name}={value}", label))
    return labels


@pytest.mark.parametrize("language", ["zh-hans"])
def test_every_model_label_reads_in_chinese(language: str) -> None:
    with translation.override(language):
        english_only = [where for where, label in _model_labels() if not CJK.search(str(label))]
    assert english_only == []


def test_no_template_comment_spans_lines() -> None:
    """Django's {# #} comment ends at the end of its line: one left open shows on the page (as
    a line of English on a Chinese page). A comment of several lines is {% comment %}."""
    root = Path(settings.BASE_DIR) / "care365"
    open_comments = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.glob("*/templates/**/*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "{#" in line and "#}" not in line.split("{#", 1)[1]
    ]
    assert open_comments == []
