"""`seed_county`: build the synthetic county, streaming children to the database in chunks."""

from __future__ import annotations

import random
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from itertools import islice

from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from care365.care.services.plans import plan_due_rebuild
from care365.carers.models import Carer
from care365.core import crypto
from care365.core.audit import audit
from care365.core.maintenance import db_analyze
from care365.registry.models import Child
from care365.seeding.seed.carers import CarerGenerator, carers_write, short_townships
from care365.seeding.seed.children import ChildRow, children_generate
from care365.seeding.seed.county import JINGNING_CODE, VillagePlan, county_plan, county_write
from care365.seeding.seed.network import network_organisations_write
from care365.seeding.seed.writers import children_write


class SeedRefusedError(Exception):
    """The registry already has children and adding to them was not asked for."""


@dataclass
class SeedResult:
    county: str
    townships: int
    villages: int
    children: int
    statuses: Counter[str] = field(default_factory=Counter)
    children_by_township: Counter[str] = field(default_factory=Counter)
    carers: Counter[str] = field(default_factory=Counter)
    # Capacity of the carers who can be paired (volunteers: vetted and trained), per role.
    capacity: Counter[str] = field(default_factory=Counter)
    short_townships: list[str] = field(default_factory=list)
    written: bool = False

    def summary(self) -> str:
        lines = [
            f"{self.county}: {self.townships} townships, {self.villages} villages, "
            f"{self.children:,} children",
            "statuses: " + ", ".join(f"{k} {v:,}" for k, v in sorted(self.statuses.items())),
            "carers: "
            + ", ".join(
                f"{role} {self.carers[role]:,} (capacity {self.capacity[role]:,})"
                for role in sorted(self.carers)
            ),
            "townships short of carers: " + (", ".join(self.short_townships) or "none"),
        ]
        if not self.written:
            lines.append("dry run: nothing was written")
        return "\n".join(lines)


def seed_county(
    *,
    children: int,
    seed: int,
    county_code: str = JINGNING_CODE,
    append: bool = False,
    dry_run: bool = False,
    progress: bool = True,
    today: date | None = None,
    chunk_size: int | None = None,
) -> SeedResult:
    """Build a synthetic county with `children` children; the same seed and `today` (the day
    ages are counted from) give the same county.

    Refuses to add to a registry that already has children unless `append` is set, so it is never
    run by mistake against real data. With `dry_run` everything is generated and counted but
    nothing is written. Children go to the database in chunks (COPY on PostgreSQL, bulk_create on
    SQLite), each in its own transaction, so memory stays bounded at any size.
    """
    if children < 0:
        raise ValueError("children must be zero or more")
    existing = Child.objects.count()
    carers = Carer.objects.count()
    if (existing or carers) and not append:
        raise SeedRefusedError(
            f"The registry already has {existing:,} children and {carers:,} carers: seeding is "
            "for an empty database. Use --append to add synthetic children and carers anyway."
        )
    today = today or timezone.localdate()
    now = timezone.now()
    # One stream per part, all from the seed: synthetic data, not secrets, so `random` is right.
    master = random.Random(seed)  # noqa: S311
    area_rng, child_rng, carer_rng = (random.Random(master.getrandbits(64)) for _ in range(3))  # noqa: S311

    plan = county_plan(area_rng, county_code)
    result = SeedResult(
        county=plan.name,
        townships=len(plan.townships),
        villages=len(plan.villages),
        children=children,
        written=not dry_run,
    )
    village_ids: list[int] = []
    areas = {}
    if not dry_run:
        areas = county_write(plan)
        village_ids = [areas[v.code].pk for v in plan.villages]

    taken = None
    if existing:
        # Adding to a registry: skip ID numbers already registered (by their keyed hash).
        hashes = set(
            Child.objects.exclude(id_number_hash=None).values_list("id_number_hash", flat=True)
        )

        def taken(number: str) -> bool:
            return crypto.lookup_hash(number) in hashes

    per_township: Counter[int] = Counter()
    size = chunk_size or (5000 if connection.vendor == "postgresql" else 2000)
    stream = children_generate(child_rng, plan, children, today=today, taken=taken)
    with tqdm(
        total=children, unit=" children", file=sys.stderr, disable=not progress, smoothing=0.1
    ) as bar:
        while chunk := list(islice(stream, size)):
            _count(chunk, plan.villages, per_township, result)
            if not dry_run:
                children_write(chunk, village_ids, now=now)
            bar.update(len(chunk))

    organisations = CarerGenerator(carer_rng, plan, today=today).county(per_township)
    for organisation in organisations:
        for carer in organisation.carers:
            result.carers[carer.role] += 1
            if carer.can_be_paired:
                result.capacity[carer.role] += carer.capacity
    short = short_townships(plan, per_township)
    result.short_townships = [t.name for t in plan.townships if t.index in short]
    result.children_by_township = Counter(
        {plan.townships[i].name: n for i, n in per_township.items()}
    )
    if not dry_run:
        with transaction.atomic():
            carers_write(organisations, areas)
            county = areas[plan.code]
            network_organisations_write(
                county,
                sorted(
                    (a for a in areas.values() if a.parent_id == county.pk),
                    key=lambda a: a.code,
                ),
            )
            audit(
                actor=None,
                action="seed",
                obj=areas[plan.code],
                changes=["children", "carers"],
                note=f"synthetic county: {children} children, seed {seed}",
            )
        # The planner learns of the new rows first: on tables it has no statistics of, it
        # planned the next-due dates' reads of 100,000 children as nested loops over every
        # consent and every child (minutes; autovacuum had not yet analysed them).
        db_analyze(full=True)
        # The new children's next-due dates (the due lists read them), a chunk per transaction.
        plan_due_rebuild(area=areas[plan.code])
    return result


def _count(
    chunk: list[ChildRow],
    villages: tuple[VillagePlan, ...],
    per_township: Counter[int],
    result: SeedResult,
) -> None:
    for row in chunk:
        per_township[villages[row.village].township] += 1
        for kind, _ in row.statuses:
            result.statuses[kind] += 1
