"""`care365 insights rebuild|refresh|catch-up`: the roll-ups behind dashboards and statistics.

    care365 insights rebuild [--as-of YYYY-MM-DD]   recount every figure from the tables
    care365 insights refresh [--as-of YYYY-MM-DD]   recount every village (the daily job)
    care365 insights catch-up                       refresh what changed since the last run

docs/insights.md describes the figures and how they are kept current.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from care365.insights.services import rollups_catch_up, rollups_rebuild, rollups_refresh_all


class Command(BaseCommand):
    help = "Rebuild or refresh the roll-ups behind dashboards and statistics."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild", "refresh", "catch-up"])
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=None,
            help="the day the figures are counted for, YYYY-MM-DD (default today)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = options["as_of"] or timezone.localdate()
        action = options["action"]
        if action == "rebuild":
            summary = rollups_rebuild(today, progress=options["verbosity"] > 1)
        elif action == "refresh":
            summary = rollups_refresh_all(today)
        else:
            summary = f"{rollups_catch_up(today)} villages refreshed"
        if options["verbosity"] > 0:
            self.stdout.write(summary)
