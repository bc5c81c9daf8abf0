"""The administrative tree a county's network covers: county → township → village."""

from __future__ import annotations

from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Area(models.Model):
    class Level(models.TextChoices):
        COUNTY = "county", _("county")
        TOWNSHIP = "township", _("township")
        VILLAGE = "village", _("village")

    # Statistical division codes: 6 digits for a county, 9 for a township, 12 for a village.
    CODE_LENGTH = {Level.COUNTY: 6, Level.TOWNSHIP: 9, Level.VILLAGE: 12}
    PARENT_LEVEL = {Level.TOWNSHIP: Level.COUNTY, Level.VILLAGE: Level.TOWNSHIP}

    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    code = models.CharField(
        _("administrative code"),
        max_length=12,
        unique=True,
        validators=[RegexValidator(r"^\d{6}(\d{3}){0,2}$", _("Enter 6, 9 or 12 digits."))],
    )
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent area"),
    )
    latitude = models.FloatField(
        _("latitude"), validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        _("longitude"), validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level="county", parent__isnull=True)
                | (~models.Q(level="county") & models.Q(parent__isnull=False)),
                name="area_only_counties_are_roots",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors: dict[str, Any] = {}
        expected = self.CODE_LENGTH.get(self.Level(self.level)) if self.level else None
        if expected and self.code and len(self.code) != expected:
            errors["code"] = _("A %(level)s code has %(n)d digits.") % {
                "level": self.get_level_display(),
                "n": expected,
            }
        if self.level and self.level != self.Level.COUNTY:
            want = self.PARENT_LEVEL[self.Level(self.level)]
            if self.parent is None or self.parent.level != want:
                errors["parent"] = _("The parent of a %(level)s must be a %(want)s.") % {
                    "level": self.get_level_display(),
                    "want": self.Level(want).label,
                }
            elif self.code and not self.code.startswith(self.parent.code):
                errors["code"] = _("The code must start with the parent's code.")
        if errors:
            raise ValidationError(errors)
