"""The carers list's filter."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from care365.accounts.models import User
from care365.areas.models import Area
from care365.carers.models import CarerRole
from care365.core.forms import MAX_SEARCH, blank_choice


class CarerFilterForm(forms.Form):
    role = forms.ChoiceField(
        label=_("role"), choices=blank_choice(CarerRole.choices, _("any")), required=False
    )
    area = forms.TypedChoiceField(label=_("area"), coerce=int, required=False, empty_value=None)
    q = forms.CharField(label=_("name"), max_length=MAX_SEARCH, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        area_field = self.fields["area"]
        assert isinstance(area_field, forms.TypedChoiceField)  # noqa: S101  # declared above
        county = user.area.code[:6] if user.area else None
        areas = (
            Area.objects.filter(code__startswith=county, level__in=["county", "township"])
            if county
            else Area.objects.none()
        )
        area_field.choices = blank_choice(
            [(a.pk, a.name) for a in areas.order_by("code")], _("any")
        )

    def values(self) -> dict[str, Any]:
        self.is_valid()
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v not in (None, "")}
