"""Who cares for each child: pairings with one officer, one doctor and one volunteer, the county's
pairing settings, locks and forbidden pairs, and the proposals the solver makes."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from care365.areas.models import Area
from care365.carers.models import Carer, CarerRole
from care365.registry.models import Child


class PairingSettings(models.Model):
    """A county's pairing rules: how far each role may travel, how long a volunteer's background
    check stays valid, and the weights of the soft rules (docs/pairing.md explains each)."""

    county = models.OneToOneField(
        Area,
        on_delete=models.CASCADE,
        related_name="pairing_settings",
        limit_choices_to={"level": Area.Level.COUNTY},
        verbose_name=_("county"),
    )
    police_max_km = models.PositiveIntegerField(
        _("police officer: farthest distance (km)"),
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(200)],
    )
    doctor_max_km = models.PositiveIntegerField(
        _("doctor: farthest distance (km)"),
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(200)],
    )
    volunteer_max_km = models.PositiveIntegerField(
        _("volunteer: farthest distance (km)"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(200)],
    )
    background_check_valid_days = models.PositiveIntegerField(
        _("a volunteer's background check is valid for (days)"),
        default=3 * 365,
        validators=[MinValueValidator(1), MaxValueValidator(20 * 365)],
    )
    weights = models.JSONField(
        _("weights of the soft rules"),
        default=dict,
        blank=True,
        help_text=_("Leave empty for the defaults; see the pairing documentation."),
    )

    class Meta:
        verbose_name = _("pairing settings")
        verbose_name_plural = _("pairing settings")

    def __str__(self) -> str:
        return f"{self.county}"

    def max_km(self, role: str) -> int:
        return int(getattr(self, f"{role}_max_km"))


class EndReason(models.TextChoices):
    REPLACED = "replaced", _("replaced by a new pairing")
    NO_LONGER_ELIGIBLE = "unpaired", _("no carer could be kept for this child")
    CHILD_EXITED = "child_exited", _("the child left the registry")
    CARER_LEFT = "carer_left", _("the carer stopped serving")
    CONSENT_WITHDRAWN = "consent_withdrawn", _("the guardian withdrew consent")


class Pairing(models.Model):
    """One carer of one role for one child, from `since` until `until` (open while null)."""

    child = models.ForeignKey(
        Child, on_delete=models.PROTECT, related_name="pairings", verbose_name=_("child")
    )
    role = models.CharField(_("role"), max_length=10, choices=CarerRole.choices)
    carer = models.ForeignKey(
        Carer, on_delete=models.PROTECT, related_name="pairings", verbose_name=_("carer")
    )
    since = models.DateField(_("since"))
    until = models.DateField(_("until"), null=True, blank=True)
    end_reason = models.CharField(
        _("end reason"), max_length=20, choices=EndReason.choices, blank=True
    )
    reasons = models.JSONField(_("why this carer"), default=list, blank=True)
    run = models.ForeignKey(
        "PairingRun",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("pairing run"),
    )

    class Meta:
        verbose_name = _("pairing")
        verbose_name_plural = _("pairings")
        constraints = [
            models.UniqueConstraint(
                fields=["child", "role"],
                condition=models.Q(until__isnull=True),
                name="pairing_one_carer_per_role",
            ),
            models.CheckConstraint(
                condition=models.Q(until__isnull=True, end_reason="")
                | models.Q(until__isnull=False) & ~models.Q(end_reason=""),
                name="pairing_ends_with_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["carer", "until"], name="pairing_carer_open_idx"),
            models.Index(fields=["child", "until"], name="pairing_child_open_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.child_id} {self.role} {self.carer_id}"


class PairRule(models.Model):
    """An administrator's decision the solver must respect: keep this pair, or never make it."""

    class Kind(models.TextChoices):
        LOCK = "lock", _("locked")
        FORBID = "forbid", _("forbidden")

    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, related_name="pair_rules", verbose_name=_("child")
    )
    role = models.CharField(_("role"), max_length=10, choices=CarerRole.choices)
    carer = models.ForeignKey(
        Carer, on_delete=models.CASCADE, related_name="pair_rules", verbose_name=_("carer")
    )
    kind = models.CharField(_("kind"), max_length=6, choices=Kind.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("pair rule")
        verbose_name_plural = _("pair rules")
        constraints = [
            models.UniqueConstraint(fields=["child", "role", "carer"], name="pair_rule_once"),
            models.UniqueConstraint(
                fields=["child", "role"],
                condition=models.Q(kind="lock"),
                name="pair_rule_one_lock_per_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.child_id} {self.role} {self.carer_id}"


class PairingRun(models.Model):
    """One proposal for a county: what the solver proposed, until it is approved or superseded."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        APPROVED = "approved", _("approved")
        SUPERSEDED = "superseded", _("superseded")

    county = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="pairing_runs", verbose_name=_("county")
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PROPOSED
    )
    created_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    params = models.JSONField(_("parameters"), default=dict)
    figures = models.JSONField(_("figures"), default=dict)  # counts per role and outcome, timings

    class Meta:
        verbose_name = _("pairing run")
        verbose_name_plural = _("pairing runs")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["county"],
                condition=models.Q(state="proposed"),
                name="pairing_run_one_open_proposal",
            )
        ]

    def __str__(self) -> str:
        return f"{self.county} {self.created_at:%Y-%m-%d %H:%M} {self.state}"


class Outcome(models.TextChoices):
    KEPT = "kept", _("kept")
    NEW = "new", _("new")
    CHANGED = "changed", _("changed")
    UNPAIRED = "unpaired", _("without a carer")


class UnpairedReason(models.TextChoices):
    NO_ELIGIBLE_IN_RANGE = "no_eligible_in_range", _("nobody eligible within reach")
    CAPACITY_EXHAUSTED = "capacity_exhausted", _("everyone within reach is full")
    NO_CONSENT = "no_consent", _("no guardian consent for a volunteer")


class ProposedPair(models.Model):
    """One line of a proposal: a child's carer of one role, compared with today's."""

    run = models.ForeignKey(
        PairingRun, on_delete=models.CASCADE, related_name="pairs", verbose_name=_("pairing run")
    )
    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, related_name="+", verbose_name=_("child")
    )
    role = models.CharField(_("role"), max_length=10, choices=CarerRole.choices)
    carer = models.ForeignKey(
        Carer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed carer"),
    )
    previous = models.ForeignKey(
        Carer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("today's carer"),
    )
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    unpaired_reason = models.CharField(
        _("why without a carer"), max_length=24, choices=UnpairedReason.choices, blank=True
    )
    cost = models.PositiveIntegerField(_("cost"), default=0)
    distance_m = models.PositiveIntegerField(_("distance (m)"), null=True, blank=True)
    reasons = models.JSONField(_("why this carer"), default=list, blank=True)

    class Meta:
        verbose_name = _("proposed pair")
        verbose_name_plural = _("proposed pairs")
        constraints = [
            models.UniqueConstraint(fields=["run", "child", "role"], name="proposed_pair_once")
        ]
        indexes = [models.Index(fields=["run", "outcome", "role"], name="proposed_outcome_idx")]

    def __str__(self) -> str:
        return f"{self.run_id} {self.child_id} {self.role} {self.outcome}"
