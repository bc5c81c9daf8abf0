"""Alerts (SOS), the county's escalation policy and who it reaches, the incident record each
alert keeps, mandatory-report follow-ups and the family's help links.

Escalation is data (DESIGN.md, "Background work"): an open alert carries its `level` and the
deadline of its next step in `next_step_at`, an indexed column the sweeper claims due rows from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _

from care365.areas.models import Area
from care365.carers.models import Carer, Organisation
from care365.core import crypto
from care365.core.fields import EncryptedTextField
from care365.protection import policy
from care365.registry.models import Child

if TYPE_CHECKING:
    from care365.protection.models.outbox import Notification


@dataclass(frozen=True)
class Told:
    """Who a raise is telling now, for the raiser's confirmation: `who` is the step that fired
    (a policy.WHO value, "" when nobody could be reached); `officer` the paired officer's name;
    `stations` the names of the stations told; `officers` how many of their officers hear in
    the app (0: the stations' duty phones); `again` the request count of the open alert the
    raise was folded into (0 for a new alert)."""

    who: str = ""
    officer: str = ""
    stations: tuple[str, ...] = ()
    officers: int = 0
    again: int = 0

    def message(self) -> str:
        """The raiser's confirmation: who is being told now, as it is."""
        if not self.who:
            if self.again:
                return ngettext(
                    "This child already has an open alert: it is raised again (asked %(n)d time).",
                    "This child already has an open alert: it is raised again (asked %(n)d times).",
                    self.again,
                ) % {"n": self.again}
            return gettext(
                "The alert is raised, but nobody can be reached yet: call the county desk."
            )
        if self.who == policy.ASSIGNED_OFFICER:
            return gettext("The alert is raised: telling officer %(name)s (paired) now.") % {
                "name": self.officer
            }
        if self.who == policy.STATION_DUTY_OFFICER:
            stations = pgettext("list separator", ", ").join(self.stations)
            if self.officers:
                return ngettext(
                    "No paired officer: telling the %(n)d officer of %(stations)s now.",
                    "No paired officer: telling the %(n)d officers of %(stations)s now.",
                    self.officers,
                ) % {"n": self.officers, "stations": stations}
            return gettext("No paired officer: calling the duty phone of %(stations)s now.") % {
                "stations": stations
            }
        if self.who == policy.COUNTY_DUTY_DESK:
            return gettext("No police station covers this village: telling the county desk now.")
        return gettext(
            "The alert is raised: the next people on the county's list are being told now."
        )


class Who(models.TextChoices):
    ASSIGNED_OFFICER = policy.ASSIGNED_OFFICER, _("the assigned police officer")
    STATION_DUTY_OFFICER = policy.STATION_DUTY_OFFICER, _("the station's duty officer")
    TOWNSHIP_SUPERVISOR_AND_DIRECTOR = (
        policy.TOWNSHIP_SUPERVISOR_AND_DIRECTOR,
        _("the township supervisor and the village director"),
    )
    COUNTY_DUTY_DESK = policy.COUNTY_DUTY_DESK, _("the county duty desk")


class Channel(models.TextChoices):
    IN_APP = policy.IN_APP, _("in the app")
    EMAIL = policy.EMAIL, _("email")
    SMS = policy.SMS, _("SMS")


class EscalationPolicy(models.Model):
    """A county's escalation policy, edited by its county administrator.

    `steps` is the JSON form `policy.parse` reads; the county duty desk is reached at
    `desk_phone` (SMS), `desk_email` and, in the app, `desk_users` (the county's administrators
    when none are named).

    `sms_number` is the number families text for help in this county: the gateway says which of
    an installation's numbers a message was sent to, and a message from a number the registry
    does not know goes to the duty desk of the county whose number it was (docs/protection.md,
    "The SMS webhook"). A public service number, kept in its normal form (digits only).
    """

    county = models.OneToOneField(
        Area,
        on_delete=models.CASCADE,
        related_name="escalation_policy",
        limit_choices_to={"level": Area.Level.COUNTY},
        verbose_name=_("county"),
    )
    steps = models.JSONField(_("steps"))
    repeat_seconds = models.PositiveIntegerField(_("repeat the last step every (seconds)"))
    # Encrypted at rest (docs/privacy.md); the service validates them.
    desk_phone = EncryptedTextField(_("duty desk phone"), max_length=20, blank=True)
    desk_email = EncryptedTextField(_("duty desk email"), max_length=254, blank=True)
    desk_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        verbose_name=_("duty desk staff"),
    )
    sms_number = models.CharField(_("SMS help number"), max_length=20, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("escalation policy")
        verbose_name_plural = _("escalation policies")
        constraints = [
            # One county per number: the webhook finds the county by it.
            models.UniqueConstraint(
                fields=["sms_number"],
                condition=~models.Q(sms_number=""),
                name="escalation_policy_sms_number_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"Escalation policy of {self.county}"

    def as_policy(self) -> policy.Policy:
        return policy.parse({"steps": self.steps, "repeat_seconds": self.repeat_seconds})


class DutyShift(models.Model):
    """An officer on duty at a police station from `starts_at` until `ends_at`: the station's duty
    officer, whom the second escalation step reaches."""

    station = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="duty_shifts",
        limit_choices_to={"kind": Organisation.Kind.POLICE_STATION},
        verbose_name=_("police station"),
    )
    officer = models.ForeignKey(
        Carer, on_delete=models.CASCADE, related_name="duty_shifts", verbose_name=_("officer")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty shifts")
        ordering = ["station", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="duty_shift_ends_after_start",
            )
        ]
        indexes = [models.Index(fields=["station", "ends_at"], name="duty_station_ends_idx")]

    def __str__(self) -> str:
        return f"Duty of carer #{self.officer_id} at station #{self.station_id}"


class ResponderContact(models.Model):
    """The phone an alert SMS reaches a supervisor, director or desk member on (officers are
    reached on their carer record's phone)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="responder_contact",
        verbose_name=_("user"),
    )
    phone = EncryptedTextField(_("phone for alerts"), blank=True)

    class Meta:
        verbose_name = _("responder contact")
        verbose_name_plural = _("responder contacts")

    def __str__(self) -> str:
        return f"Alert contact of user #{self.user_id}"


class Kind(models.TextChoices):
    # Mandatory reports (强制报告, Minors Protection Law art. 11).
    SUSPECTED_ABUSE = "suspected_abuse", _("suspected abuse")
    ABANDONMENT = "abandonment", _("abandoned or long unattended")
    ALONE_UNDER_16 = "alone_under_16", _("under 16 living alone")
    SELF_HARM = "self_harm", _("self-harm or suicide attempt")
    # Other safety problems.
    DANGER = "danger", _("in danger")
    INJURY = "injury", _("injured")
    MISSING = "missing", _("missing")
    HELP_REQUEST = "help_request", _("help requested by the family")
    OTHER = "other", _("other")


MANDATORY_REPORT_KINDS = frozenset(
    {Kind.SUSPECTED_ABUSE, Kind.ABANDONMENT, Kind.ALONE_UNDER_16, Kind.SELF_HARM}
)


class Source(models.TextChoices):
    WEB = "web", _("Care365 page")
    HELP_LINK = "help_link", _("the family's help link")
    SMS = "sms", _("SMS")
    API = "api", _("API")
    # The public mandatory-report page (care365/network): anyone who finds a child harmed, for a
    # registered child or one the registry does not know yet.
    REPORT = "report", _("the public mandatory-report page")


class State(models.TextChoices):
    OPEN = policy.OPEN, _("open")
    ACKNOWLEDGED = policy.ACKNOWLEDGED, _("acknowledged")
    ON_THE_WAY = policy.ON_THE_WAY, _("on the way")
    WITH_CHILD = policy.WITH_CHILD, _("with the child")
    RESOLVED = policy.RESOLVED, _("resolved")


class Resolution(models.TextChoices):
    SAFE = "safe", _("the child is safe")
    REFERRED = "referred", _("referred")
    POLICE_CASE = "police_case", _("handed to a police case")
    FALSE_ALARM = "false_alarm", _("false alarm")


# `Alert.sender_hash` of the county's alert that folds messages from many unknown numbers (a
# keyed hash is 64 hex digits: nothing else is ever this).
MANY_SENDERS = "many"


class Alert(models.Model):
    """One SOS for one child (or, from an unknown phone number, for the county duty desk)."""

    # Keyed look-up hashes that core's rotate_keys recomputes through `rehash` (below).
    REHASHED: ClassVar[tuple[str, ...]] = ("sender_hash",)

    child = models.ForeignKey(
        Child,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alerts",
        verbose_name=_("child"),
    )
    county = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("county")
    )
    village = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("village when raised"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    note = models.TextField(_("note"), blank=True)
    source = models.CharField(_("raised through"), max_length=10, choices=Source.choices)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("raised by"),
    )
    raised_at = models.DateTimeField(_("raised at"))
    # An SMS from a number the registry does not know: the full number for the desk to call back
    # (encrypted), and a masked form for lists and logs.
    sender_phone = EncryptedTextField(_("sender's phone"), blank=True)
    sender_masked = models.CharField(_("sender's phone (masked)"), max_length=20, blank=True)
    sender_hash = models.CharField(max_length=64, blank=True, editable=False)  # keyed hash
    # How many times the family (or the sender) asked: the press or message that raised it, and
    # every repeat folded into it since (services/intake.py). For the county's "many unknown
    # senders" alert (`sender_hash == MANY_SENDERS`), `sender_phone` holds every number, one a
    # line, and this counts their messages.
    request_count = models.PositiveIntegerField(_("times asked"), default=1)
    assigned_officer = models.ForeignKey(
        Carer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned officer when raised"),
    )
    # The county's policy as it was when the alert was raised: editing the policy never changes
    # the course of an alert already under way.
    policy = models.JSONField(_("escalation policy"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.OPEN)
    level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    next_step_at = models.DateTimeField(_("next escalation at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    on_the_way_at = models.DateTimeField(_("on the way at"), null=True, blank=True)
    on_the_way_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("on the way"),
    )
    with_child_at = models.DateTimeField(_("with the child at"), null=True, blank=True)
    with_child_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("with the child"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolution = models.CharField(
        _("resolution"), max_length=12, choices=Resolution.choices, blank=True
    )
    resolution_note = models.TextField(_("resolution note"), blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state=policy.OPEN) | models.Q(next_step_at__isnull=True),
                name="alert_only_open_escalates",
            ),
            models.CheckConstraint(
                condition=models.Q(state=policy.RESOLVED, resolved_at__isnull=False)
                & ~models.Q(resolution="")
                | ~models.Q(state=policy.RESOLVED) & models.Q(resolution=""),
                name="alert_resolved_has_resolution",
            ),
            # Without a child: an SMS from an unknown number (for the county desk), or a public
            # mandatory report of a child the registry does not know (for the village's police).
            models.CheckConstraint(
                condition=models.Q(child__isnull=False) | models.Q(source__in=["sms", "report"]),
                name="alert_without_child_only_from_sms_or_report",
            ),
            # With the constraint above: resolved exactly when `resolved_at` is set (the open
            # alerts' index reads `resolved_at`).
            models.CheckConstraint(
                condition=models.Q(state=policy.RESOLVED) | models.Q(resolved_at__isnull=True),
                name="alert_open_has_no_resolved_at",
            ),
        ]
        indexes = [
            # The deadline rows the sweeper claims from: only open alerts have one.
            models.Index(
                fields=["next_step_at"],
                condition=models.Q(next_step_at__isnull=False),
                name="alert_due_idx",
            ),
            models.Index(fields=["county", "state"], name="alert_county_state_idx"),
            models.Index(fields=["child", "raised_at"], name="alert_child_idx"),
            # The open alerts (the board, the navigation's count on every page, a child's page),
            # a handful among years of resolved ones: `resolved_at` is null exactly while open.
            models.Index(
                fields=["raised_at"],
                condition=models.Q(resolved_at__isnull=True),
                name="alert_open_idx",
            ),
        ]

    # Set by the service that has just created the alert, in this process: every step and
    # notification it wrote, so the answer to whoever raised it is rendered as written instead
    # of read back. None on an alert read from the database.
    written: tuple[list[AlertEvent], list[Notification]] | None = None
    # Set with `written`: who the raise is telling now (the raiser's confirmation).
    told: Told | None = None

    def __str__(self) -> str:
        return f"Alert #{self.pk} ({self.kind}, {self.state})"

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        """Reloaded, the alert may have moved on since it was written: forget `written`."""
        self.written = None
        self.told = None
        super().refresh_from_db(*args, **kwargs)

    @property
    def is_mandatory_report(self) -> bool:
        """A mandatory-report kind, or anything reported through the public report page."""
        return self.kind in MANDATORY_REPORT_KINDS or self.source == Source.REPORT

    @property
    def is_open(self) -> bool:
        return self.state != State.RESOLVED

    @property
    def is_many_senders(self) -> bool:
        """The county desk's one alert for messages from unknown numbers beyond the hourly
        number of alerts (services/intake.py): `sender_phone` lists every number."""
        return self.sender_hash == MANY_SENDERS

    @property
    def sender_phones(self) -> list[str]:
        return [p for p in self.sender_phone.splitlines() if p]

    def rehash(self) -> None:
        """The unknown sender's keyed hash under the current hash key (`care365 rotate_keys`),
        so a second text still finds the open alert; the many-senders alert keeps its mark."""
        if self.sender_phone and not self.is_many_senders:
            self.sender_hash = crypto.lookup_hash(self.sender_phone)


class AlertEvent(models.Model):
    """One timestamped step of an alert: the child's incident record."""

    class Kind(models.TextChoices):
        RAISED = "raised", _("raised")
        REPEATED = "repeated", _("raised again while open")
        ESCALATED = "escalated", _("escalated")
        NO_RECIPIENT = "no_recipient", _("nobody to notify at this step")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        ON_THE_WAY = "on_the_way", _("on the way")
        WITH_CHILD = "with_child", _("with the child")
        RESOLVED = "resolved", _("resolved")
        NOTIFICATION_SENT = "notification_sent", _("notification sent")
        NOTIFICATION_FAILED = "notification_failed", _("notification failed")
        FOLLOW_UP_OPENED = "follow_up_opened", _("follow-up task opened")

    alert = models.ForeignKey(
        Alert, on_delete=models.CASCADE, related_name="events", verbose_name=_("alert")
    )
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("at"))
    level = models.PositiveSmallIntegerField(_("escalation level"), null=True, blank=True)
    due_at = models.DateTimeField(_("was due at"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    notification = models.ForeignKey(
        "Notification",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("notification"),
    )
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("alert event")
        verbose_name_plural = _("alert events")
        ordering = ["at", "pk"]
        constraints = [
            # Each level fires once: the database itself refuses a doubled step.
            models.UniqueConstraint(
                fields=["alert", "level"],
                condition=models.Q(kind__in=["raised", "escalated"]),
                name="alert_event_step_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} of alert #{self.alert_id}"


class FollowUpTask(models.Model):
    """After a mandatory report, a task for the village director and the township supervisor."""

    class State(models.TextChoices):
        OPEN = "open", _("open")
        DONE = "done", _("done")

    alert = models.ForeignKey(
        Alert, on_delete=models.CASCADE, related_name="follow_ups", verbose_name=_("alert")
    )
    child = models.ForeignKey(
        Child, on_delete=models.PROTECT, related_name="+", verbose_name=_("child")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_up_tasks",
        verbose_name=_("assigned to"),
    )
    role = models.CharField(_("role"), max_length=16)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(_("opened at"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")
        ordering = ["state", "created_at", "pk"]
        indexes = [models.Index(fields=["assignee", "state"], name="followup_assignee_idx")]

    def __str__(self) -> str:
        return f"Follow-up of alert #{self.alert_id} ({self.role})"


class HelpLink(models.Model):
    """The secret address of a child's one-button help page, printed as a QR code for the
    family's wall. Only the token's SHA-256 is stored; one link per child is active at a time."""

    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, related_name="help_links", verbose_name=_("child")
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("help link")
        verbose_name_plural = _("help links")
        constraints = [
            models.UniqueConstraint(
                fields=["child"],
                condition=models.Q(revoked_at__isnull=True),
                name="help_link_one_active_per_child",
            )
        ]

    def __str__(self) -> str:
        return f"Help link #{self.pk} of child #{self.child_id}"


class InboundSms(models.Model):
    """An SMS the gateway's webhook delivered, kept by the gateway's message id. Gateways deliver
    at least once: the same message delivered again (a retry after a timeout) finds this row and
    changes nothing. Neither the number nor the text is kept here."""

    gateway_id = models.CharField(_("gateway's message id"), max_length=100, unique=True)
    received_at = models.DateTimeField(_("received at"))
    alerts = models.ManyToManyField(
        Alert, related_name="+", blank=True, verbose_name=_("alerts raised or repeated")
    )

    class Meta:
        verbose_name = _("inbound SMS")
        verbose_name_plural = _("inbound SMS")

    def __str__(self) -> str:
        return f"Inbound SMS #{self.pk}"
