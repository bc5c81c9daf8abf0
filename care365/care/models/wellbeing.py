"""Wellbeing: screenings with the instrument's version and every score, the tasks they open for
the paired doctor, and the daily risk score with its reasons."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from care365.areas.models import Area
from care365.registry.models import Child


class Screening(models.Model):
    """One completed screening form, scored by the screening core when it was entered. The
    instrument's code and version are kept with the answers, so the result can be re-checked
    against the exact file that scored it."""

    child = models.ForeignKey(
        Child, on_delete=models.PROTECT, related_name="screenings", verbose_name=_("child")
    )
    instrument = models.CharField(_("instrument"), max_length=40)
    instrument_version = models.CharField(_("instrument version"), max_length=20)
    screened_on = models.DateField(_("screened on"))
    answers = models.JSONField(_("answers"))  # the scores as printed on the form, in item order
    supplementary = models.JSONField(_("supplementary answers"), default=dict, blank=True)
    total = models.PositiveSmallIntegerField(_("total"))
    subscales = models.JSONField(_("subscales"), default=dict, blank=True)
    subscale_bands = models.JSONField(_("subscale bands"), default=dict, blank=True)
    band = models.CharField(_("band"), max_length=40)
    above_cutoff = models.BooleanField(_("above the cut-off"))
    flags = models.JSONField(_("flags"), default=list, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("entered by"),
    )
    # The self-harm alert raised by this screening (protection), if any.
    alert = models.ForeignKey(
        "protection.Alert",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("alert raised"),
    )
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("screening")
        verbose_name_plural = _("screenings")
        ordering = ["-screened_on", "-pk"]
        indexes = [
            models.Index(fields=["child", "screened_on"], name="screening_child_day_idx"),
            models.Index(
                fields=["screened_on"],
                condition=models.Q(above_cutoff=True),
                name="screening_positive_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} of child #{self.child_id} on {self.screened_on}"


class CareTask(models.Model):
    """Work a screening opens for the child's paired doctor: a referral when the total is at or
    above the cut-off, an urgent follow-up when a self-harm item was answered. A child without
    a doctor (or a doctor without an account) gets an unassigned task the village director and
    the township supervisor see. Repeated absences from school open one for the village's
    director (network's schools)."""

    class Kind(models.TextChoices):
        REFERRAL = "referral", _("referral after a positive screening")
        SELF_HARM = "self_harm", _("same-day follow-up of a self-harm answer")
        # Opened by the network's schools (docs/network.md) for the village's director: the
        # child's unexplained absences crossed the county's threshold.
        ABSENCES = "absences", _("follow-up of repeated absences from school")

    class State(models.TextChoices):
        OPEN = "open", _("open")
        DONE = "done", _("done")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    child = models.ForeignKey(
        Child, on_delete=models.PROTECT, related_name="care_tasks", verbose_name=_("child")
    )
    screening = models.ForeignKey(
        Screening,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("screening"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="care_tasks",
        verbose_name=_("assigned to"),
    )
    state = models.CharField(_("state"), max_length=6, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(_("opened at"))
    due_on = models.DateField(_("due on"))
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
        verbose_name = _("care task")
        verbose_name_plural = _("care tasks")
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state="open", done_at__isnull=True)
                | models.Q(state="done", done_at__isnull=False),
                name="care_task_done_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["assignee", "state"], name="care_task_assignee_idx"),
            models.Index(fields=["child", "state"], name="care_task_child_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} task #{self.pk} for child #{self.child_id}"


class RiskScore(models.Model):
    """A child's risk score as the daily job last computed it, with its reasons (care/risk.py)."""

    child = models.OneToOneField(
        Child, on_delete=models.CASCADE, related_name="risk", verbose_name=_("child")
    )
    # A copy of the child's village, so that a scope's risk list is read from this table's index
    # (village, on the list, score) alone, never joining the children. Written with the score
    # (`services.risk`), and moved with the child in the move's transaction (`risk_village_sync`,
    # the registry's `on_child_moved`). Only a child in the registry has a score: the exit drops
    # it in its transaction (`risk_drop_on_exit`, `on_child_exited`).
    village = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the index below leads with it
        verbose_name=_("village"),
    )
    score = models.PositiveIntegerField(_("score"), default=0)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    on_list = models.BooleanField(_("on the risk list"), default=False)
    computed_on = models.DateField(_("computed on"))

    class Meta:
        verbose_name = _("risk score")
        verbose_name_plural = _("risk scores")
        indexes = [
            models.Index(fields=["on_list", "score"], name="risk_on_list_idx"),
            models.Index(fields=["village", "on_list", "score"], name="risk_village_list_idx"),
        ]

    def __str__(self) -> str:
        return f"Risk {self.score} of child #{self.child_id}"
