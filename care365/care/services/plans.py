"""Each child's next-due dates, stored (`PlanDue`) so that the due lists read rows rather than
work out every child's plan on each request (docs/care.md, "Stored next-due dates").

The rule is `selectors.plans.plan_status`, written once: `plan_due_refresh` deletes the rows of
a set of children and inserts what `plan_status` gives for those still in the registry, in the
caller's transaction, so a write and the due dates it changes commit (or roll back) together.
Who calls it:

- daily care's own writes: a contact logged, an examination recorded (`contact_log`,
  `examination_record`), a child's risk score moving on or off the risk list (its intervals are
  tightened there: `services.risk.risk_scores_write`);
- a county's intervals changed (`care_settings_update` marks the county; a worker rewrites its
  children's rows within seconds: `plans_rewrite_pending`);
- the registry's and pairing's writes, which may not import daily care, through the registry's
  `children_changed_now` hook (registered in `CareConfig.ready`): a child registered, changed,
  moved or exited, a parent's return, a consent given or withdrawn, an import's chunk, a pairing
  opened or ended (a run approved, a carer assigned by hand or stopping). A write that changes
  more than `INLINE_LIMIT` registered children at once (a county-wide run approved) marks their
  counties instead, and a worker rewrites them as after a change of intervals;
- seeding, once its children, pairings and history are written (`plan_due_rebuild`);
- the worker's daily `plan_due_rebuild` and `care365 plans rebuild`, the safety net: the rows
  are rewritten from the tables, a chunk of children per transaction.

Like the risk score, the rows are derived and not audited: every fact they rest on was audited
when it was written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from care365.areas.models import Area
from care365.care.models import CareSettings, PlanDue, PlanKind
from care365.care.selectors.plans import PLAN_FIELDS, DueItem, plan_status
from care365.core.imports import bulk
from care365.registry.models import Child

logger = logging.getLogger("care365.care")

# Children per query batch: `plan_status` reads each batch's facts in a fixed number of queries.
CHUNK = 2000


def plan_due_refresh(child_ids: Iterable[int], *, chunk: int = CHUNK, new: bool = False) -> int:
    """Rewrite the stored next-due dates of these children from the tables, in the caller's
    transaction (one of its own if there is none): their rows go, and every planned kind of
    those still in the registry is written again (a child who left has none). Returns the rows
    written.

    `new`: the children were registered in this transaction (the registry's hook says so): they
    have no rows here yet for another writer to race on, and nothing but their registry rows to
    read (`plan_status`'s `new`)."""
    ids = sorted(set(child_ids))
    today = timezone.localdate()  # the rows do not depend on it; `plan_status` asks for a day
    written = 0
    with transaction.atomic():
        for start in range(0, len(ids), chunk):
            # The ids as a list (on PostgreSQL one array constant, core/lookups.py), not as
            # `bulk.values_in`'s subquery: PostgreSQL counts a constant's elements when it
            # plans, but not a subquery's rows, and on tables not yet analysed (a fresh seed's)
            # it planned that one to scan whole tables per chunk.
            part = ids[start : start + chunk]
            if not new:
                _lock_and_clear(part)
            children = Child.objects.filter(pk__in=part, exited_on__isnull=True).only(*PLAN_FIELDS)
            rows = _due_rows(plan_status(children, PlanKind.values, today, new=new))
            _insert(rows)
            written += len(rows)
    return written


def _lock_and_clear(part: list[int]) -> None:
    """Two writers refreshing the same child at once (a contact and a pairing, two workers)
    would each delete the rows the other had not yet committed and insert their own: the second
    fails on (child, kind). The children's rows are locked first, in id order, so the second
    waits and then reads what the first wrote; then their rows go."""
    list(
        Child.objects.select_for_update()
        .filter(pk__in=part)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    PlanDue.objects.filter(child_id__in=part).delete()


def _due_rows(items: list[DueItem]) -> list[tuple[Any, ...]]:
    """`PlanDue` rows as `_COLUMNS` lists them."""
    return [
        (
            item.child.pk,
            item.child.village_id,
            item.kind,
            item.due_on,
            item.last_on,
            item.interval_days,
            item.tightened,
        )
        for item in items
    ]


_COLUMNS = ("child_id", "village_id", "kind", "due_on", "last_on", "interval_days", "tightened")
_FIELDS = ("child", "village", "kind", "due_on", "last_on", "interval_days", "tightened")


def _insert(rows: list[tuple[Any, ...]]) -> None:
    """The rows as one prepared INSERT run for each (`bulk_create` builds each row's SQL in
    Python, which took two thirds of a refresh: 6.7 of 10 s for 2,000 children)."""
    if not rows:
        return
    if bulk.is_postgres():  # COPY: a fifth of the prepared INSERT's time
        bulk.copy_rows(PlanDue, _FIELDS, rows)
        return
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608  # names from the model
        quote(PlanDue._meta.db_table),
        ", ".join(quote(c) for c in _COLUMNS),
        ", ".join(["%s"] * len(_COLUMNS)),
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _refresh_in_chunks(
    *,
    area: Area | None,
    chunk: int,
    progress: Callable[[int], object] | None,
) -> tuple[int, int]:
    """Every active child (of `area`, if given) in id order, a chunk per transaction."""
    active = Child.objects.filter(exited_on__isnull=True)
    if area is not None:
        active = active.filter(village__code__startswith=area.code)
    done = written = 0
    last_pk = 0
    while True:
        ids = list(
            active.filter(pk__gt=last_pk).order_by("pk").values_list("pk", flat=True)[:chunk]
        )
        if not ids:
            break
        last_pk = ids[-1]
        with transaction.atomic():
            written += plan_due_refresh(ids, chunk=chunk)
        done += len(ids)
        if progress is not None:
            progress(len(ids))
    return done, written


# A worker that started rewriting a county's next-due dates and has not finished within this
# long is taken to have died: another takes the work over.
REWRITE_LEASE = timedelta(minutes=30)


def plans_rewrite_pending(*, worker: str = "") -> str:
    """Rewrite the next-due dates of each county whose intervals changed
    (`CareSettings.plans_stale_since`), one county at a time, a chunk of children per
    transaction (`plan_due_rebuild`); the worker runs it between imports.

    A county is claimed by its lease (`plans_rewrite_started_at`), so two workers never rewrite
    the same county at once and a worker that died is taken over after `REWRITE_LEASE`. The mark
    is cleared only if no other change came meanwhile: a change made during the rewrite is
    rewritten again."""
    done: list[str] = []
    while True:
        now = timezone.now()
        claim = CareSettings.objects.filter(plans_stale_since__isnull=False).filter(
            Q(plans_rewrite_started_at__isnull=True)
            | Q(plans_rewrite_started_at__lt=now - REWRITE_LEASE)
        )
        row = claim.order_by("plans_stale_since").select_related("county").first()
        if row is None or not claim.filter(pk=row.pk).update(plans_rewrite_started_at=now):
            break  # nothing left, or another worker claimed it first (it carries on)
        since = row.plans_stale_since
        try:
            result = plan_due_rebuild(area=row.county)
        finally:
            CareSettings.objects.filter(pk=row.pk, plans_rewrite_started_at=now).update(
                plans_rewrite_started_at=None
            )
        CareSettings.objects.filter(pk=row.pk, plans_stale_since=since).update(
            plans_stale_since=None
        )
        logger.info("next-due dates of county %s rewritten (%s): %s", row.county_id, worker, result)
        done.append(f"{row.county.code}: {result}")
    return "; ".join(done)


def plan_due_rebuild(
    *,
    area: Area | None = None,
    chunk: int = CHUNK,
    progress: Callable[[int], object] | None = None,
) -> str:
    """Rewrite every stored next-due date (of `area`'s children, if given) from the tables: the
    rows of children who left go, and every active child's are written again, a chunk of
    children per transaction (so the database's write lock is never held for long; a reader
    sees each child's rows whole). Idempotent. The worker runs it daily as a safety net;
    `care365 plans rebuild` by hand. The counties it rewrote whole are no longer waiting for a
    worker (`plans_stale_since`) for a change marked before it began."""
    started = timezone.now()
    stale = PlanDue.objects.filter(child__exited_on__isnull=False)
    if area is not None:
        stale = stale.filter(village__code__startswith=area.code)
    stale.delete()
    done, written = _refresh_in_chunks(area=area, chunk=chunk, progress=progress)
    settled = CareSettings.objects.filter(plans_stale_since__lt=started)
    if area is not None:
        settled = settled.filter(county__code__startswith=area.code)
    settled.update(plans_stale_since=None)
    return f"{done} children's plans rewritten, {written} planned items"


# More children than this changed at once (a county-wide pairing run approved) and their rows
# are left to a worker, as after a change of intervals: at about 0.3 s per thousand children,
# rewriting 100,000 would hold the request for half a minute.
INLINE_LIMIT = CHUNK


def plans_mark_stale(child_ids: Collection[int]) -> int:
    """Mark the counties of these children for a worker to rewrite their next-due dates
    (`plans_rewrite_pending`), in the caller's transaction; returns how many were marked."""
    ids = sorted(set(child_ids))
    codes: set[str] = set()
    for start in range(0, len(ids), 5000):
        villages = (
            Child.objects.filter(pk__in=ids[start : start + 5000])
            .order_by()
            .values_list("village__code", flat=True)
            .distinct()
        )
        codes.update(code[:6] for code in villages)
    counties = list(Area.objects.filter(level=Area.Level.COUNTY, code__in=sorted(codes)))
    for county in counties:
        CareSettings.objects.get_or_create(county=county)
    return CareSettings.objects.filter(county__in=counties).update(plans_stale_since=timezone.now())


def plan_due_refresh_on_change(child_ids: Collection[int], *, new: bool = False) -> None:
    """The registry's `on_children_changed_now` listener: rewrite the children's next-due dates
    in the writer's transaction (a failure rolls the write back), or, for more than
    INLINE_LIMIT children already registered, mark their counties for a worker. Children
    registered in the writer's transaction (an import's chunk, in a background job) are always
    written here: nothing else would list them until then."""
    ids = set(child_ids)
    if not new and len(ids) > INLINE_LIMIT:
        plans_mark_stale(ids)
        return
    plan_due_refresh(ids, new=new)
