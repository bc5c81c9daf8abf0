"""Cross-cutting records every app writes: the hash-chained audit trail of changes, notices,
the worker's heartbeat and its periodic jobs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """A chained log entry was about to be changed or deleted."""


class LedgerHead(models.Model):
    """The last entry of one chain: locked while an entry is appended, so entries are numbered
    without gaps and each carries the MAC of the one before (core/ledger.py)."""

    chain = models.CharField(_("chain"), max_length=32, primary_key=True)
    seq = models.BigIntegerField(_("last sequence number"), default=0)
    hash = models.CharField(_("last hash"), max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("ledger head")
        verbose_name_plural = _("ledger heads")

    def __str__(self) -> str:
        return f"{self.chain} #{self.seq}"


class ChainedEntry(models.Model):
    """An entry of an append-only, keyed chain (core/chain.py). Saved once through
    `ledger.chain_append`; never updated or deleted (the database refuses it too, with triggers
    on PostgreSQL and SQLite alike). `hash` is the entry's HMAC-SHA256 under the audit key named
    by `key_id`, `prev_hash` the one of the entry before."""

    CHAIN: ClassVar[str] = ""

    seq = models.BigIntegerField(_("sequence number"), unique=True, null=True, editable=False)
    prev_hash = models.CharField(_("previous hash"), max_length=64, blank=True, editable=False)
    hash = models.CharField(_("hash"), max_length=64, blank=True, editable=False)
    key_id = models.CharField(_("audit key"), max_length=16, blank=True, editable=False)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.label} entries are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError(f"{self._meta.label} entries are never deleted")

    def chain_payload(self) -> dict[str, Any]:
        raise NotImplementedError


def _at(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


class AuditEvent(ChainedEntry):
    """One write to the registry: who did what to which record, written in the same transaction.

    `changes` names the fields that changed, never their values: the audit trail must not become
    a second copy of children's identifying data.
    """

    CHAIN = "audit"

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
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

    def chain_payload(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": _at(self.at),
            "actor": self.actor_id,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "changes": list(self.changes),
            "note": self.note,
        }


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
