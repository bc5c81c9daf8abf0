"""An import: one file of children, carers or users being checked and applied, chunk by chunk.

The record is the job too (DESIGN.md, "Background work": data, not a queued task): a page sets
`job` to "check" or "apply"; a worker claims the record by a conditional update and holds it
with a lease it renews after every chunk, so a record whose worker died is claimed again once
its lease has run out, and carries on from `resume_after_row`. Each chunk is one transaction
that also moves `resume_after_row` and the counts on: after a stop, nothing is half-written and
nothing is written twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from care365.areas.models import Area


class ImportKind(models.TextChoices):
    CHILDREN = "children", _("children")
    CARERS = "carers", _("carers")
    USERS = "users", _("users")


class ImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all", _("all or nothing")
    SKIP_BAD_ROWS = "skip", _("skip the rows with errors")


class ImportRecord(models.Model):
    class State(models.TextChoices):
        MAPPING = "mapping", _("columns to be matched")
        CHECKING = "checking", _("checking")
        CHECKED = "checked", _("checked")
        APPLYING = "applying", _("applying")
        DONE = "done", _("applied")
        REFUSED = "refused", _("refused: rows with errors")
        FAILED = "failed", _("stopped by a fault")
        DISCARDED = "discarded", _("discarded")

    class Job(models.TextChoices):
        NONE = "", _("none")
        CHECK = "check", _("check")
        APPLY = "apply", _("apply")

    class Source(models.TextChoices):
        PAGE = "page", _("page")
        COMMAND = "command", _("command")

    kind = models.CharField(_("kind"), max_length=10, choices=ImportKind.choices)
    county = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("county")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    mode = models.CharField(
        _("mode"), max_length=4, choices=ImportMode.choices, default=ImportMode.ALL_OR_NOTHING
    )
    # The file: its name as uploaded (shown to the importer only), size, digest and format.
    file_name = models.CharField(_("file"), max_length=255)
    file_size = models.BigIntegerField(_("size"), default=0)
    file_sha256 = models.CharField(max_length=64)
    file_format = models.CharField(max_length=4)
    header_row = models.PositiveIntegerField(default=1)
    header = models.JSONField(default=list)  # the header cells (column titles, no data)
    mapping = models.JSONField(default=dict)  # {column key: index in the header}
    # Progress and counts.
    rows_total = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    rows_checked = models.PositiveIntegerField(default=0)
    rows_refused_check = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    resume_after_row = models.PositiveIntegerField(default=0)
    chunk_size = models.PositiveIntegerField(default=2000)
    chunks_done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    refused = models.PositiveIntegerField(_("refused"), default=0)
    # The job a worker is to run, and its lease.
    job = models.CharField(max_length=8, choices=Job.choices, blank=True, default="")
    lease_until = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=150, blank=True)
    failure = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [
            models.Index(fields=["county", "created_at"], name="import_county_idx"),
            models.Index(fields=["job", "lease_until"], name="import_job_idx"),
        ]

    def __str__(self) -> str:
        return f"import #{self.pk} ({self.kind}, {self.state})"

    @property
    def percent(self) -> int:
        """How far the running job is, 0-100."""
        total = self.rows_total
        if self.state == self.State.CHECKING:
            return min(99, self.rows_checked * 100 // total) if total else 0
        if self.state == self.State.APPLYING:
            return min(100, self.rows_done * 100 // total) if total else 0
        return 100 if self.state in (self.State.DONE, self.State.CHECKED) else 0


class ImportFileChunk(models.Model):
    """The uploaded file, encrypted at rest in pieces (any worker on any machine can read it);
    deleted when the import is applied or discarded."""

    record = models.ForeignKey(
        ImportRecord, on_delete=models.CASCADE, related_name="chunks", verbose_name=_("import")
    )
    seq = models.PositiveIntegerField(_("piece"))
    data = models.BinaryField(_("data"))

    class Meta:
        verbose_name = _("piece of an imported file")
        verbose_name_plural = _("pieces of imported files")
        constraints = [
            models.UniqueConstraint(fields=["record", "seq"], name="importfile_chunk_once")
        ]

    def __str__(self) -> str:
        return f"piece {self.seq} of import #{self.record_id}"


class ImportRowError(models.Model):
    """One error of one row: found by the check ("check") or while applying ("apply"). Codes
    and detail keys only; the message is written in the reader's language when shown."""

    class Phase(models.TextChoices):
        CHECK = "check", _("check")
        APPLY = "apply", _("apply")

    record = models.ForeignKey(
        ImportRecord, on_delete=models.CASCADE, related_name="errors", verbose_name=_("import")
    )
    phase = models.CharField(_("phase"), max_length=5, choices=Phase.choices)
    row = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=40)
    code = models.CharField(_("error"), max_length=20)
    detail = models.CharField(_("detail"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("row error")
        verbose_name_plural = _("row errors")
        indexes = [models.Index(fields=["record", "phase", "row"], name="importerror_row_idx")]

    def __str__(self) -> str:
        return f"row {self.row} {self.column}: {self.code}"


class ImportMapping(models.Model):
    """The columns of a county's own layouts, remembered once mapped: {header as compared
    (core.imports.columns.header_key): column key}."""

    county = models.ForeignKey(
        Area, on_delete=models.CASCADE, related_name="+", verbose_name=_("county")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ImportKind.choices)
    headers = models.JSONField(_("headers"), default=dict)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("remembered columns")
        verbose_name_plural = _("remembered columns")
        constraints = [
            models.UniqueConstraint(fields=["county", "kind"], name="importmapping_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} columns of area #{self.county_id}"
