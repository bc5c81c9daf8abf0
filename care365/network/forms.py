"""The public report form and the status look-up (parsing only: `services` checks every field
and its errors are put beside them with `add_service_errors`). Fields are not required here so
that each error comes from the service, in one wording; the browser is asked for them
(`required`) all the same."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from care365.core.forms import blank_choice
from care365.network.models import NAME_MAX, SEEN_MAX, WHERE_MAX, ReporterRole, Situation

REQUIRED = {"required": "required"}
PHONE = {**REQUIRED, "type": "tel", "autocomplete": "tel", "inputmode": "tel"}


class ReportForm(forms.Form):
    reporter_name = forms.CharField(
        label=_("Your name"), required=False, max_length=NAME_MAX * 2,
        widget=forms.TextInput(attrs={**REQUIRED, "autocomplete": "name"}),
    )  # fmt: skip
    reporter_phone = forms.CharField(
        label=_("Your phone"), required=False, max_length=40,
        widget=forms.TextInput(attrs=PHONE),
    )  # fmt: skip
    reporter_role = forms.ChoiceField(
        label=_("You are a"), required=False, choices=blank_choice(ReporterRole.choices),
        widget=forms.Select(attrs=REQUIRED),
    )  # fmt: skip
    county = forms.ChoiceField(label=_("County"), required=False, choices=())
    township = forms.ChoiceField(label=_("Township"), required=False, choices=())
    village = forms.ChoiceField(
        label=_("Village"), required=False, choices=(), widget=forms.Select(attrs=REQUIRED)
    )
    child_name = forms.CharField(
        label=_("The child's name, as you know it"), required=False, max_length=NAME_MAX * 2
    )
    child_age = forms.CharField(
        label=_("About how old"), required=False, max_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[0-9]*", "size": 4}),
    )  # fmt: skip
    child_where = forms.CharField(
        label=_("Where the child is (home, school, place)"), required=False,
        max_length=WHERE_MAX * 2,
    )  # fmt: skip
    situation = forms.ChoiceField(
        label=_("What is happening to the child"), required=False,
        choices=Situation.choices, widget=forms.RadioSelect(attrs=REQUIRED),
    )  # fmt: skip
    what_seen = forms.CharField(
        label=_("What you saw or heard"), required=False, max_length=SEEN_MAX * 2,
        widget=forms.Textarea(attrs={**REQUIRED, "rows": 4}),
    )  # fmt: skip

    def __init__(
        self,
        *args: Any,
        counties: list[tuple[int, str]],
        townships: list[tuple[int, str]],
        villages: list[tuple[str, list[tuple[int, str]]]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["county"].choices = blank_choice(counties)
        fields["township"].choices = blank_choice(townships)
        fields["village"].choices = blank_choice(villages)


class LookupForm(forms.Form):
    receipt = forms.CharField(
        label=_("Receipt number"), max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )  # fmt: skip
    phone = forms.CharField(
        label=_("The phone you gave"), max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
    )  # fmt: skip


class TaskDoneForm(forms.Form):
    note = forms.CharField(
        label=_("What was done (registered, or why not)"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip
