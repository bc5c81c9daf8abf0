"""A county's care plan settings: how often each kind of contact is expected, how much tighter
for children on the risk list, and who besides doctors may enter screenings."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from care365.areas.models import Area
from care365.care import plans

DAYS = [MinValueValidator(1), MaxValueValidator(366)]


class CareSettings(models.Model):
    """One county's visit plan (docs/care.md). A county without a row uses the defaults."""

    county = models.OneToOneField(
        Area,
        on_delete=models.CASCADE,
        related_name="care_settings",
        limit_choices_to={"level": Area.Level.COUNTY},
        verbose_name=_("county"),
    )
    volunteer_visit_days = models.PositiveSmallIntegerField(
        _("volunteer visit every (days)"),
        default=plans.DEFAULT_INTERVALS["volunteer_visit"],
        validators=DAYS,
    )
    home_visit_days = models.PositiveSmallIntegerField(
        _("director's home visit every (days)"),
        default=plans.DEFAULT_INTERVALS["home_visit"],
        validators=DAYS,
    )
    safety_check_days = models.PositiveSmallIntegerField(
        _("police safety check every (days)"),
        default=plans.DEFAULT_INTERVALS["safety_check"],
        validators=DAYS,
    )
    parent_contact_days = models.PositiveSmallIntegerField(
        _("parents' contact every (days)"),
        default=plans.DEFAULT_INTERVALS["parent_contact"],
        validators=DAYS,
    )
    risk_interval_percent = models.PositiveSmallIntegerField(
        _("for children on the risk list, intervals are (percent of the usual)"),
        default=50,
        validators=[MinValueValidator(10), MaxValueValidator(100)],
    )
    risk_threshold = models.PositiveSmallIntegerField(
        _("a child is on the risk list from this score"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(500)],
    )
    # Schools (network; docs/network.md): a child with this many unexplained absences within
    # the last 30 days opens a task for the village's director and a reason on the risk score.
    school_absence_days = models.PositiveSmallIntegerField(
        _("unexplained school absences within 30 days that open a follow-up"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    wish_board_initial_only = models.BooleanField(
        _("wish board shows only the initial of the given name"), default=False
    )
    trained_screeners = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        verbose_name=_("directors trained to enter screenings"),
    )
    # The county's intervals changed at this moment and its children's next-due dates are still
    # to be rewritten by a worker (`services.plans.plans_rewrite_pending`); null when they are
    # current. `plans_rewrite_started_at` is the lease of the worker rewriting them.
    plans_stale_since = models.DateTimeField(
        _("next-due dates to rewrite since"), null=True, blank=True, editable=False
    )
    plans_rewrite_started_at = models.DateTimeField(null=True, blank=True, editable=False)
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
        verbose_name = _("care settings")
        verbose_name_plural = _("care settings")

    def __str__(self) -> str:
        return f"Care settings of {self.county}"

    def interval(self, kind: str, *, on_risk_list: bool = False) -> int:
        """The expected days between contacts of `kind` (a planned contact kind)."""
        days = int(getattr(self, f"{kind}_days"))
        return plans.tightened(days, self.risk_interval_percent) if on_risk_list else days
