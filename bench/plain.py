"""Plain Django in place of one of the app's speed measures, for A/B runs of the benchmarks.

    CARE365_BENCH_PLAIN=listselect,rows_by_id uvicorn bench.plain:application

`application` is config.asgi's, with the measures named in CARE365_BENCH_PLAIN replaced by what
plain Django would do (`apply`). A benchmark serves the app twice, as it is and with a measure
replaced, and alternates its requests between the two: what remains of a measure in the code is
there because such a run showed it matters (docs/benchmarks.md, "Speed measures, A/B").

Measures:

- `listselect`: the filter forms' `core.widgets.ListSelect` renders with Django's option
  templates (forms.Select.render);
- `rows_by_id`: a list's page is the slice of its queryset read at once (`list(qs[a:b])`), not
  its ids first and then its rows (accounts.selectors.rows_by_id).

The app's other former speed measures (the start-up objects frozen for the garbage collector, a
user's villages and break-the-glass grants kept on the User object for the request, the watch
for unusual access in hand-written SQL) were measured so and removed: docs/benchmarks.md.
"""

from __future__ import annotations

import os
from typing import Any

MEASURES = ("listselect", "rows_by_id")


def apply(names: str) -> list[str]:
    """Replace the measures named (comma-separated) by plain Django; returns the names."""
    chosen = [n.strip() for n in names.split(",") if n.strip()]
    unknown = set(chosen) - set(MEASURES)
    assert not unknown, f"unknown measures {sorted(unknown)}; known: {', '.join(MEASURES)}"
    for name in chosen:
        globals()[f"_plain_{name}"]()
    return chosen


def _plain_listselect() -> None:
    from django import forms

    from care365.core import widgets

    if hasattr(widgets, "ListSelect"):
        widgets.ListSelect.render = forms.Select.render  # type: ignore[method-assign]


def _plain_rows_by_id() -> None:
    from care365.accounts import selectors

    def rows_by_id(qs: Any, page: Any) -> list[Any]:
        return list(page)

    selectors.rows_by_id = rows_by_id
    try:
        from care365.accounts import paginators
    except ImportError:
        return
    if hasattr(paginators, "rows_by_id"):
        paginators.rows_by_id = rows_by_id


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
if os.environ.get("CARE365_BENCH_PLAIN") is not None:
    from config.asgi import application  # noqa: F401  # what uvicorn serves

    apply(os.environ["CARE365_BENCH_PLAIN"])
