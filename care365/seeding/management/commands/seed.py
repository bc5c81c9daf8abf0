"""`care365 seed --children N --seed S`: build a synthetic county (care365.seeding.seed)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from care365.core.maintenance import db_analyze
from care365.seeding.seed import SeedRefusedError, seed_county


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

    def handle(self, *args: Any, **options: Any) -> None:
        if options["children"] < 0:
            raise CommandError("--children must be zero or more")
        if not re.fullmatch(r"[0-9]{6}", options["county_code"]):
            raise CommandError("--county-code must be 6 digits")
        if options["county_code"].endswith("00"):
            # xxxx00 is a prefecture's (or a province's) code in GB/T 2260, never a county's.
            raise CommandError("--county-code is a prefecture's or province's code, not a county's")
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
        if not options["dry_run"]:
            db_analyze(full=True)  # the planner learns about the new rows at once
        if options["verbosity"] > 0:
            self.stdout.write(result.summary())
