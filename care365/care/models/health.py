"""Health examinations on DOMAIN.md's schedule, with the growth z-scores, flags and classes the
WHO calculator gave when the examination was entered, and health education sessions."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from care365.areas.models import Area
from care365.care.models.learning import HealthTopic
from care365.carers.models import Carer, Organisation
from care365.registry.models import Child

# Visual acuity in the five-point (logarithmic) notation Chinese school checks use (GB/T 11533):
# 5.0 is normal; below 5.0 is poor vision.
VISION_MIN = Decimal("3.0")
VISION_MAX = Decimal("5.3")
POOR_VISION_BELOW = Decimal("5.0")


class Position(models.TextChoices):
    LENGTH = "length", _("lying down (length)")
    HEIGHT = "height", _("standing (height)")


class Examination(models.Model):
    child = models.ForeignKey(
        Child, on_delete=models.PROTECT, related_name="examinations", verbose_name=_("child")
    )
    examined_on = models.DateField(_("examined on"))
    age_days = models.PositiveIntegerField(_("age at the examination (days)"))
    doctor = models.ForeignKey(
        Carer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="examinations",
        verbose_name=_("doctor"),
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("entered by"),
    )
    height_cm = models.DecimalField(
        _("height (cm)"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("30.0")), MaxValueValidator(Decimal("230.0"))],
    )
    weight_kg = models.DecimalField(
        _("weight (kg)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("250.00"))],
    )
    position = models.CharField(_("measured"), max_length=8, choices=Position.choices, blank=True)
    vision_left = models.DecimalField(
        _("vision, left eye"),
        max_digits=2,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(VISION_MIN), MaxValueValidator(VISION_MAX)],
    )
    vision_right = models.DecimalField(
        _("vision, right eye"),
        max_digits=2,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(VISION_MIN), MaxValueValidator(VISION_MAX)],
    )
    decayed_teeth = models.PositiveSmallIntegerField(
        _("decayed teeth"), null=True, blank=True, validators=[MaxValueValidator(32)]
    )
    teeth_notes = models.CharField(_("teeth"), max_length=500, blank=True)
    systolic = models.PositiveSmallIntegerField(
        _("blood pressure, systolic (mmHg)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(50), MaxValueValidator(250)],
    )
    diastolic = models.PositiveSmallIntegerField(
        _("blood pressure, diastolic (mmHg)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(20), MaxValueValidator(150)],
    )
    notes = models.TextField(_("notes"), blank=True)
    # What the growth calculator (care/growth) gave when the examination was entered.
    zhfa = models.FloatField(_("height-for-age z"), null=True, blank=True)
    zwfa = models.FloatField(_("weight-for-age z"), null=True, blank=True)
    zbfa = models.FloatField(_("BMI-for-age z"), null=True, blank=True)
    bmi = models.FloatField(_("BMI"), null=True, blank=True)
    growth_reference = models.CharField(_("WHO reference"), max_length=8, blank=True)
    growth_flags = models.JSONField(_("growth flags"), default=list, blank=True)
    growth_classes = models.JSONField(_("growth classes"), default=list, blank=True)
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("health examination")
        verbose_name_plural = _("health examinations")
        ordering = ["-examined_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(systolic__isnull=True, diastolic__isnull=True)
                | models.Q(
                    systolic__isnull=False,
                    diastolic__isnull=False,
                    systolic__gt=models.F("diastolic"),
                ),
                name="examination_blood_pressure_pair",
            ),
        ]
        indexes = [
            models.Index(fields=["child", "examined_on"], name="exam_child_day_idx"),
        ]

    def __str__(self) -> str:
        return f"Examination of child #{self.child_id} on {self.examined_on}"

    @property
    def poor_vision(self) -> bool:
        return any(
            v is not None and v < POOR_VISION_BELOW for v in (self.vision_left, self.vision_right)
        )


# Other people at a session (teachers, parents, children not in the registry), counted only.
OTHER_ATTENDEES_MAX = 2000


class HealthSession(models.Model):
    """A health education session (健康教育): a topic taught on a day, for a township or village
    (and a school of it), to the children present and a count of others."""

    topic = models.CharField(
        _("topic"), max_length=16, choices=HealthTopic.choices, default=HealthTopic.OTHER
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    materials = models.TextField(_("materials used"), blank=True)
    held_on = models.DateField(_("held on"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    area = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("township or village"),
    )
    school = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("school"),
    )
    other_attendees = models.PositiveIntegerField(_("other people present"), default=0)
    doctor = models.ForeignKey(
        Carer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="health_sessions",
        verbose_name=_("doctor"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    children = models.ManyToManyField(
        Child, related_name="health_sessions", blank=True, verbose_name=_("children present")
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("health education session")
        verbose_name_plural = _("health education sessions")
        ordering = ["-held_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(other_attendees__lte=OTHER_ATTENDEES_MAX),
                name="health_session_other_attendees_max",
            ),
        ]
        indexes = [models.Index(fields=["area", "held_on"], name="health_session_area_idx")]

    def __str__(self) -> str:
        return f"Health session #{self.pk} on {self.held_on}"
