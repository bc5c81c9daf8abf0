"""The county's townships and villages: add, rename and move, merge."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from care365.areas.models import Area
from care365.core.forms import BoundedModelChoiceField


class AreaForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=100)
    latitude = forms.FloatField(label=_("latitude"), min_value=-90, max_value=90, required=False)
    longitude = forms.FloatField(
        label=_("longitude"),
        min_value=-180,
        max_value=180,
        required=False,
        help_text=_("Pairing measures distances from here; empty: the township's."),
    )

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if v is not None}


class AreaAddForm(AreaForm):
    level = forms.ChoiceField(
        label=_("level"),
        choices=[(Area.Level.VILLAGE, _("village")), (Area.Level.TOWNSHIP, _("township"))],
    )
    parent = BoundedModelChoiceField(
        label=_("township"),
        queryset=Area.objects.none(),
        required=False,
        help_text=_("For a village: the township it belongs to."),
    )
    code = forms.RegexField(
        label=_("administrative code"),
        regex=r"^\d{9}(\d{3})?$",
        help_text=_("GB/T 2260: 9 digits for a township, 12 for a village."),
        error_messages={"invalid": _("Enter 9 or 12 digits.")},
    )
    field_order = ("level", "parent", "code", "name", "latitude", "longitude")

    def __init__(self, *args: Any, county: Area, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parent = self.fields["parent"]
        assert isinstance(parent, forms.ModelChoiceField)  # noqa: S101  # declared above
        parent.queryset = Area.objects.filter(
            level=Area.Level.TOWNSHIP, code__startswith=county.code
        ).order_by("code")

    def values(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in self.cleaned_data.items()
            if k in ("name", "latitude", "longitude") and v is not None
        }


def _village_label(area: Area) -> str:
    parent = area.parent.name if area.parent else ""
    return f"{parent} · {area.name} ({area.code})"


class AreaMergeForm(forms.Form):
    keep = BoundedModelChoiceField(label=_("village that stays"), queryset=Area.objects.none())
    absorb = BoundedModelChoiceField(
        label=_("village merged into it (deleted)"), queryset=Area.objects.none()
    )

    def __init__(self, *args: Any, county: Area, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        villages = (
            Area.objects.filter(level=Area.Level.VILLAGE, code__startswith=county.code)
            .select_related("parent")
            .order_by("code")
        )
        for name in ("keep", "absorb"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)  # noqa: S101  # declared above
            field.queryset = villages
            field.label_from_instance = _village_label  # type: ignore[assignment,method-assign]  # Django's documented way to label choices
