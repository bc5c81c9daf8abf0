"""Reasons, break-the-glass and the access log's filter."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from care365.accounts.models import AccessOutcome, AccessPurpose
from care365.accounts.reasons import MAX_REASON_CHARS, reason_field_validator, reason_hint
from care365.core.forms import DATE_WIDGET, blank_choice
from care365.core.ids import MAX_ID


def reason_field(label: Any, help_text: Any = None) -> forms.CharField:
    """A reason for reaching more of a child's data: the one rule of `reason_validate`."""
    return forms.CharField(
        label=label,
        max_length=MAX_REASON_CHARS,
        validators=[reason_field_validator],
        help_text=help_text or reason_hint(),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class BreakGlassForm(forms.Form):
    id_number = forms.CharField(
        label=_("the child's resident ID number"),
        max_length=18,
        min_length=15,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    reason = forms.CharField(
        label=_("why you need this child's record now"),
        max_length=255,
        validators=[reason_field_validator],
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=format_lazy(
            "{} {}", reason_hint(), _("The county administrators are told at once.")
        ),
    )


class AccessLogFilterForm(forms.Form):
    username = forms.CharField(label=_("user name"), max_length=150, required=False)
    # A child is picked by name; the number is the filter of a link to one child's entries
    # (a notice, a child's page), kept in the form as a hidden field.
    child_name = forms.CharField(label=_("child's name"), max_length=50, required=False)
    child = forms.IntegerField(
        label=_("child number"),
        min_value=1,
        max_value=MAX_ID,
        required=False,
        widget=forms.HiddenInput,
    )
    purpose = forms.ChoiceField(
        label=_("purpose"), choices=blank_choice(AccessPurpose.choices, _("any")), required=False
    )
    since = forms.DateField(label=_("from"), widget=DATE_WIDGET, required=False)
    until = forms.DateField(label=_("until"), widget=DATE_WIDGET, required=False)
    outcome = forms.ChoiceField(
        label=_("outcome"), choices=blank_choice(AccessOutcome.choices, _("any")), required=False
    )

    def values(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
