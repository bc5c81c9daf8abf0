"""The notification outbox and each user's in-app event stream."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from care365.core.fields import EncryptedTextField
from care365.protection.models.alerts import Alert, Channel


class Notification(models.Model):
    """One message to one recipient through one channel: the outbox row.

    `idempotency_key` is unique, so a step can never queue the same message twice, and it travels
    with the message (an SMS gateway's idempotency key, an email's Message-ID), so a message a
    retry or a second worker sends again is recognised by the receiver. `payload` holds what the
    message says; never the child's name or ID number.

    Most notifications are an alert's (`kind` alert: a step of its escalation, recorded in the
    alert's history). Other kinds are messages the outbox delivers for other apps, written
    when they are queued (`payload`: subject and text) and with no alert: the daily care digest.
    """

    class Kind(models.TextChoices):
        ALERT = "alert", _("alert")
        CARE_DIGEST = "care_digest", _("daily care digest")

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.ALERT)
    alert = models.ForeignKey(
        Alert,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("alert"),
    )
    # The alert's escalation level the message belongs to; 0 for a message of another kind.
    level = models.PositiveSmallIntegerField(_("escalation level"))
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recipient"),
    )
    # Encrypted at rest: the outbox is kept as the alert's history (docs/privacy.md). Empty for
    # an in-app message, so the constraint below still reads it.
    address = EncryptedTextField(_("phone or email"), max_length=254, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, unique=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Pending: when to (re)try. Sending: when the sender's lease runs out and another worker may
    # take the row over. Sent or failed: null.
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    created_at = models.DateTimeField(_("queued at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=255, blank=True)
    payload = models.JSONField(_("message"), default=dict)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recipient__isnull=False) | ~models.Q(address=""),
                name="notification_has_recipient",
            ),
            # An alert's notification names its alert; a message of another kind has none.
            models.CheckConstraint(
                condition=(models.Q(kind="alert") & models.Q(alert__isnull=False))
                | (~models.Q(kind="alert") & models.Q(alert__isnull=True)),
                name="notification_alert_of_its_kind",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(next_attempt_at__isnull=False),
                name="notification_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} notification #{self.pk} ({self.state})"


class InAppStream(models.Model):
    """A user's in-app event counter: events get consecutive numbers per user, assigned under this
    row's lock, so a stream resumed after event n (Last-Event-ID) never skips one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        verbose_name=_("user"),
    )
    last_seq = models.PositiveBigIntegerField(_("last event number"), default=0)

    class Meta:
        verbose_name = _("in-app stream")
        verbose_name_plural = _("in-app streams")

    def __str__(self) -> str:
        return f"Stream of user #{self.user_id}"


class InAppEvent(models.Model):
    """One event on a user's live stream (server-sent events); `seq` is the event id."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
    )
    seq = models.PositiveBigIntegerField(_("event number"))
    kind = models.CharField(_("kind"), max_length=32)
    data = models.JSONField(_("data"), default=dict)
    created_at = models.DateTimeField(_("created at"))
    notification = models.OneToOneField(
        Notification,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="in_app_event",
        verbose_name=_("notification"),
    )

    class Meta:
        verbose_name = _("in-app event")
        verbose_name_plural = _("in-app events")
        ordering = ["user", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["user", "seq"], name="in_app_event_seq_once"),
        ]

    def __str__(self) -> str:
        return f"Event {self.seq} of user #{self.user_id}"
