"""A report of an area for a period: asked for by someone, built by the worker, kept."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from care365.accounts.models import User
from care365.areas.models import Area


class Report(models.Model):
    """One report: the row is also the job (its state, progress and lease), like an alert's
    escalation deadline is the alert's own row: a worker claims a queued report, or one whose
    lease has run out (a worker that died), builds it step by step, and keeps the files here.
    The files are in the database, not on a worker's disk, so that any app process on any
    machine can serve them."""

    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("monthly")
        QUARTERLY = "quarterly", _("quarterly")
        YEARLY = "yearly", _("yearly")

    class State(models.TextChoices):
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("being built")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    period = models.CharField(_("period"), max_length=7)  # 2025-06, 2025-Q2, 2025
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("area")
    )
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default="queued")
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    requested_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    error = models.CharField(_("error"), max_length=255, blank=True)
    figures = models.JSONField(_("figures"), null=True, blank=True)
    xlsx = models.BinaryField(null=True, blank=True, editable=False)
    pdf = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-requested_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "requested_at"], name="report_state_idx"),
            models.Index(fields=["area", "requested_at"], name="report_area_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="report_progress_at_most_100"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} report {self.period} of {self.area_id} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)
