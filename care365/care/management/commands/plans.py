"""`care365 plans rebuild [--county CODE]`: rewrite the children's stored next-due dates.

    care365 plans rebuild                 every active child's, from the tables
    care365 plans rebuild --county 331127 one county's children only

Each write keeps the rows of the children it changes right as it happens, and the worker
rebuilds them all daily; run this after an upgrade that adds the table, after restoring a
backup, or after changing records by hand. docs/care.md, "Stored next-due dates".
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from care365.areas.models import Area
from care365.care.services.plans import plan_due_rebuild
from care365.registry.models import Child


class Command(BaseCommand):
    help = "Rewrite the children's stored next-due dates (the due lists) from the tables."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild"])
        parser.add_argument("--county", default=None, help="6-digit county code (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        area = None
        if options["county"] is not None:
            area = Area.objects.filter(level=Area.Level.COUNTY, code=options["county"]).first()
            if area is None:
                raise CommandError("There is no county with that code.")
        total = Child.objects.filter(exited_on__isnull=True).count()
        with tqdm(total=total, unit=" children", disable=options["verbosity"] < 2) as bar:
            summary = plan_due_rebuild(area=area, progress=bar.update)
        if options["verbosity"] > 0:
            self.stdout.write(summary)
