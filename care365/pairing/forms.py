"""Pairing proposals, rules, settings, and the guardian's consent to a volunteer."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from care365.carers.models import CarerRole
from care365.core.forms import DATE_WIDGET, blank_choice
from care365.core.ids import MAX_ID
from care365.pairing.models import Outcome, PairingSettings, PairRule
from care365.pairing.solver import WEIGHT_NAMES, Weights
from care365.pairing.solver.model import MAX_PER_KM, MAX_WEIGHT
from care365.registry.models import (
    ConsentPurpose,
)


class ProposalFilterForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("outcome"), choices=blank_choice(Outcome.choices, _("changes")), required=False
    )
    role = forms.ChoiceField(
        label=_("role"), choices=blank_choice(CarerRole.choices, _("any")), required=False
    )

    def values(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


class PairRuleForm(forms.Form):
    carer = forms.IntegerField(min_value=1, max_value=MAX_ID)
    kind = forms.ChoiceField(choices=PairRule.Kind.choices)


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(label=_("purpose"), choices=ConsentPurpose.choices)
    given_on = forms.DateField(
        label=_("given on"), widget=DATE_WIDGET, required=False, initial=timezone.localdate
    )
    reference = forms.CharField(
        label=_("reference of the signed paper"),
        max_length=100,
        required=False,
        help_text=_("Where the signed paper is kept, e.g. its file number."),
    )


class ConsentWithdrawForm(forms.Form):
    on = forms.DateField(label=_("withdrawn on"), widget=DATE_WIDGET, required=False)


class PairingSettingsForm(forms.ModelForm):  # type: ignore[type-arg]  # generic only in the stubs
    """The county's pairing rules; each soft rule's weight is a field of its own."""

    class Meta:
        model = PairingSettings
        fields = (
            "police_max_km",
            "doctor_max_km",
            "volunteer_max_km",
            "background_check_valid_days",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        defaults = Weights()
        stored = self.instance.weights or {}
        for name in WEIGHT_NAMES:
            self.fields[f"weight_{name}"] = forms.IntegerField(
                label=WEIGHT_LABELS[name],
                min_value=0,
                max_value=MAX_PER_KM if name == "per_km" else MAX_WEIGHT,
                initial=stored.get(name, getattr(defaults, name)),
                help_text=_("default %(n)s") % {"n": getattr(defaults, name)},
            )

    def save(self, commit: bool = True) -> PairingSettings:
        settings_row: PairingSettings = super().save(commit=False)
        settings_row.weights = {name: self.cleaned_data[f"weight_{name}"] for name in WEIGHT_NAMES}
        if commit:
            settings_row.save()
        return settings_row


WEIGHT_LABELS: dict[str, Any] = {
    "per_km": _("cost of one kilometre of travel"),
    "interest_mismatch": _("a volunteer who shares none of the child's interests"),
    "language_mismatch": _("per language of the child the carer does not speak"),
    "woman_volunteer_for_girl_over_ten": _("a volunteer who is not a woman, for a girl over ten"),
    "change_penalty": _("changing a child's carer"),
}


class AssignForm(forms.Form):
    carer = forms.IntegerField(label=_("carer"), min_value=1, max_value=MAX_ID)


class CapacityForm(forms.Form):
    capacity = forms.IntegerField(label=_("capacity (children)"), min_value=1, max_value=500)
