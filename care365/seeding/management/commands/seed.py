"""`care365 seed --children N --seed S [--history DAYS]`: build a synthetic county
(care365.seeding.seed), and with --history pair it and write DAYS days of its history."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from care365.areas.models import Area
from care365.core.maintenance import db_analyze
from care365.seeding.seed import SeedRefusedError, seed_county
from care365.seeding.seed.demo import demo_pairing_ensure
from care365.seeding.seed.history import HistoryRefusedError, history_seed


class Command(BaseCommand):
    help = (
        "Build a realistic synthetic county: townships, villages, children with their families, "
        "and carers. The same seed gives the same county. Refuses a registry that has children."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--children", type=int, required=True, help="how many children")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--county-code", default="331127", help="6-digit county code (default 331127)"
        )
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=None,
            help="the day ages are counted from, YYYY-MM-DD (default today): the same seed and "
            "day give the same county",
        )
        parser.add_argument(
            "--append",
            action="store_true",
            help="add to a registry that already has children (never on real data)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="generate and count, write nothing"
        )
        parser.add_argument(
            "--history",
            type=int,
            default=0,
            metavar="DAYS",
            help="also pair the county (if nobody is paired yet) and write DAYS days of history "
            "up to today: contacts, examinations, screenings, wishes, events, alerts, entries "
            "and exits (default 0: the registry and carers only; `care365 demo` writes 365)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["children"] < 0:
            raise CommandError("--children must be zero or more")
        if not re.fullmatch(r"[0-9]{6}", options["county_code"]):
            raise CommandError("--county-code must be 6 digits")
        if options["county_code"].endswith("00"):
            # xxxx00 is a prefecture's (or a province's) code in GB/T 2260, never a county's.
            raise CommandError("--county-code is a prefecture's or province's code, not a county's")
        if options["history"] < 0:
            raise CommandError("--history must be zero or more")
        if options["history"] and (options["dry_run"] or options["as_of"]):
            raise CommandError("--history writes up to today: not with --dry-run or --as-of")
        try:
            result = seed_county(
                children=options["children"],
                seed=options["seed"],
                county_code=options["county_code"],
                append=options["append"],
                dry_run=options["dry_run"],
                progress=options["verbosity"] > 0,
                today=options["as_of"],
            )
        except SeedRefusedError as exc:
            raise CommandError(str(exc)) from exc
        history = None
        if options["history"]:
            county = Area.objects.get(level=Area.Level.COUNTY, code=options["county_code"])
            demo_pairing_ensure(county, actor=None)
            try:
                history = history_seed(
                    days=options["history"], seed=options["seed"], county_code=county.code
                )
            except HistoryRefusedError as exc:
                raise CommandError(str(exc)) from exc
        if not options["dry_run"]:
            db_analyze(full=True)  # the planner learns about the new rows at once
        if options["verbosity"] > 0:
            self.stdout.write(result.summary())
            if history is not None:
                self.stdout.write(history.summary())
