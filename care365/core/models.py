"""Cross-cutting records every app writes: the audit trail of changes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One write to the registry: who did what to which record, written in the same transaction.

    `changes` names the fields that changed, never their values: the audit trail must not become
    a second copy of children's identifying data.
    """

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.BigIntegerField(_("object id"))
    changes = models.JSONField(_("changed fields"), default=list, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id}"


class WorkerHeartbeat(models.Model):
    """The last time each `care365 worker` process swept: operators see which workers are alive."""

    name = models.CharField(_("worker"), max_length=150, unique=True)  # "host:pid"
    host = models.CharField(_("host"), max_length=100)
    pid = models.PositiveIntegerField(_("process id"))
    started_at = models.DateTimeField(_("started at"))
    last_seen = models.DateTimeField(_("last seen"), db_index=True)
    sweeps = models.PositiveBigIntegerField(_("sweeps"), default=0)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return self.name


class PeriodicJobRun(models.Model):
    """When a periodic job last ran. A worker claims a day's run by a conditional update of this
    row, so however many workers run, each job runs once per day; a missed day is caught up by the
    next run because every job is idempotent."""

    name = models.CharField(_("job"), max_length=64, unique=True)
    last_run_on = models.DateField(_("last run for the day"), null=True, blank=True)
    last_run_at = models.DateTimeField(_("last run at"), null=True, blank=True)
    last_result = models.CharField(_("last result"), max_length=255, blank=True)
    runs = models.PositiveBigIntegerField(_("runs"), default=0)

    class Meta:
        verbose_name = _("periodic job run")
        verbose_name_plural = _("periodic job runs")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.last_run_on or 'never'})"


class Notice(models.Model):
    """A message for one user, shown on their home page until read. The text is rendered in the
    reader's language from `kind` and `params` when shown; params never hold a child's name."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notices",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=40)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    link = models.CharField(_("link"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notice_unread_idx")]

    def __str__(self) -> str:
        return f"{self.kind} for user #{self.recipient_id}"
