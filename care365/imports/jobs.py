"""The worker's part: claim an import whose check or apply was asked for, and run it.

A claim is a conditional update of the record (its job set, its lease free or run out), so two
workers never run one import; the lease is renewed after every chunk. A worker that dies leaves
the lease to run out: the next claim resumes the import after its last applied chunk (the chunks
are transactions, services.py). A job that fails with an error marks the import "failed"; the
page offers to resume it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from care365.imports import services
from care365.imports.models import ImportRecord

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)


def _due() -> Q:
    return ~Q(job="") & (Q(lease_until__isnull=True) | Q(lease_until__lt=timezone.now()))


def import_job_claim(worker: str) -> ImportRecord | None:
    """Claim the oldest import waiting for a worker (or whose worker's lease ran out)."""
    for pk in ImportRecord.objects.filter(_due()).order_by("pk").values_list("pk", flat=True)[:5]:
        claimed = ImportRecord.objects.filter(_due(), pk=pk).update(
            lease_until=timezone.now() + LEASE, worker=worker[:150]
        )
        if claimed:
            return ImportRecord.objects.select_related("county", "actor", "actor__area").get(pk=pk)
    return None


def _renew(record: ImportRecord) -> None:
    ImportRecord.objects.filter(pk=record.pk, worker=record.worker).update(
        lease_until=timezone.now() + LEASE
    )


def import_job_run(record: ImportRecord) -> None:
    """Run the claimed import's job to its end, then free it."""
    job = record.job
    try:
        with services.stored_file(record) as path:
            if job == ImportRecord.Job.CHECK:
                services.import_check(record, path, progress=lambda _n: _renew(record))
            else:
                services.import_apply(record, path, after_chunk=_renew)
    except Exception as exc:
        logger.exception("import #%s failed", record.pk)
        ImportRecord.objects.filter(pk=record.pk).update(
            state=ImportRecord.State.FAILED if job == ImportRecord.Job.APPLY else record.state,
            failure=type(exc).__name__[:100],
            job="",
            lease_until=None,
        )
        return
    ImportRecord.objects.filter(pk=record.pk).update(job="", lease_until=None)


def imports_run_due(worker: str) -> int:
    """Run every import waiting for a worker, one after another; how many ran."""
    ran = 0
    while (record := import_job_claim(worker)) is not None:
        import_job_run(record)
        ran += 1
    return ran
