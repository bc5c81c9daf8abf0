"""The administrative tree: province → prefecture → county → township → village (GB/T 2260).

A county usually sits under a prefecture (市, 地区, 州, 盟). Where GB/T 2260 has no prefecture
for it, it sits directly under its province: the districts and counties of the four
municipalities (北京 110101 is under 北京市 110000; the "市辖区" and "县" groupings 1101, 5002 are
statistical, not governments) and the county-level cities a province runs itself (仙桃 429004,
济源 419001). Prefecture-level cities without counties (东莞 441900, 中山 442000) are not
modelled: a network's unit is the county (docs/architecture.md, "The area tree").
"""

from __future__ import annotations

from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from care365.areas import regions


class Area(models.Model):
    class Level(models.TextChoices):
        PROVINCE = "province", _("province")
        PREFECTURE = "prefecture", _("prefecture")
        COUNTY = "county", _("county")
        TOWNSHIP = "township", _("township")
        VILLAGE = "village", _("village")

    # Statistical division codes: 6 digits for a province (ending 0000), a prefecture (ending 00)
    # and a county, 9 for a township, 12 for a village.
    CODE_LENGTH = {
        Level.PROVINCE: 6,
        Level.PREFECTURE: 6,
        Level.COUNTY: 6,
        Level.TOWNSHIP: 9,
        Level.VILLAGE: 12,
    }
    # The levels an area's parent may have; a province is the root. A county sits under its
    # province only where GB/T 2260 has no prefecture for it (see the module's docstring).
    PARENT_LEVEL = {
        Level.PREFECTURE: (Level.PROVINCE,),
        Level.COUNTY: (Level.PREFECTURE, Level.PROVINCE),
        Level.TOWNSHIP: (Level.COUNTY,),
        Level.VILLAGE: (Level.TOWNSHIP,),
    }
    # Levels above the county: their staff see figures, never a child (docs/privacy.md).
    ABOVE_COUNTY = frozenset({Level.PROVINCE, Level.PREFECTURE})

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
                condition=models.Q(level="province", parent__isnull=True)
                | (~models.Q(level="province") & models.Q(parent__isnull=False)),
                name="area_only_provinces_are_roots",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def code_prefix(self) -> str:
        """What every code in the area's subtree starts with: 2 digits of a province's code, 4 of
        a prefecture's, the whole code below (`code__startswith=area.code_prefix`)."""
        return code_prefix(self.code, self.level)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors: dict[str, Any] = {}
        level = self.Level(self.level) if self.level in self.Level.values else None
        if level is not None and self.code:
            expected = self.CODE_LENGTH[level]
            if len(self.code) != expected:
                errors["code"] = _("A %(level)s code has %(n)d digits.") % {
                    "level": self.get_level_display(),
                    "n": expected,
                }
            elif _code_level_mismatch(self.code, level):
                errors["code"] = _(
                    "A province's code ends in 0000, a prefecture's in 00 (not 0000); "
                    "a county's never ends in 00."
                )
        if level == self.Level.PROVINCE:
            if self.parent is not None:
                errors["parent"] = _("A province has no parent area.")
        elif level is not None:
            allowed = self.PARENT_LEVEL[level]
            if self.parent is None or self.parent.level not in allowed:
                errors["parent"] = _("The parent of a %(level)s must be a %(want)s.") % {
                    "level": self.get_level_display(),
                    "want": " / ".join(str(self.Level(want).label) for want in allowed),
                }
            elif self.code and not self.code.startswith(self.parent.code_prefix):
                errors.setdefault("code", _("The code must start with the parent's code."))
            elif (
                level == self.Level.COUNTY
                and self.parent.level == self.Level.PROVINCE
                and self.code
                and (prefecture := regions.get(regions.prefecture_code(self.code))) is not None
            ):
                errors["parent"] = _(
                    "This county lies in the prefecture %(name)s (%(code)s): put it there."
                ) % {"name": prefecture.name, "code": prefecture.code}
        if errors:
            raise ValidationError(errors)


def code_prefix(code: str, level: str) -> str:
    """What every code below an area of this level starts with (see `Area.code_prefix`)."""
    if level == Area.Level.PROVINCE:
        return code[:2]
    if level == Area.Level.PREFECTURE:
        return code[:4]
    return code


def _code_level_mismatch(code: str, level: str) -> bool:
    if level == Area.Level.PROVINCE:
        return not code.endswith("0000")
    if level == Area.Level.PREFECTURE:
        return not code.endswith("00") or code.endswith("0000")
    if level == Area.Level.COUNTY:
        return code.endswith("00")
    return False
