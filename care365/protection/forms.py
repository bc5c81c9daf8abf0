"""Forms of the instant-protection pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from care365.core.validators import validate_phone
from care365.protection.models import Channel, Kind, Resolution, Who
from care365.protection.selectors import PolicyView

MAX_STEPS = 6


class AlertRaiseForm(forms.Form):
    kind = forms.ChoiceField(label=_("what is happening"), choices=Kind.choices)
    note = forms.CharField(
        label=_("note"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Where the child is, what you saw. No need to repeat the child's details."),
    )


class AlertResolveForm(forms.Form):
    resolution = forms.ChoiceField(label=_("outcome"), choices=Resolution.choices)
    note = forms.CharField(
        label=_("note"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class EscalationPolicyForm(forms.Form):
    """Up to six steps (who, how long to wait for an answer, which channels), the pause between
    repeats of the last step, and how to reach the county duty desk."""

    repeat_seconds = forms.IntegerField(
        label=_("repeat the last step every (seconds)"), min_value=30, max_value=86_400
    )
    desk_phone = forms.CharField(
        label=_("duty desk phone"),
        max_length=20,
        required=False,
        validators=[validate_phone],
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    desk_email = forms.EmailField(label=_("duty desk email"), required=False)
    sms_number = forms.CharField(
        label=_("SMS help number"),
        max_length=20,
        required=False,
        help_text=_("The number families text for help in this county, as the SMS gateway has it."),
    )

    def __init__(self, *args: Any, current: PolicyView, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["repeat_seconds"].initial = current.repeat_seconds
        self.fields["desk_phone"].initial = current.desk_phone
        self.fields["desk_email"].initial = current.desk_email
        self.fields["sms_number"].initial = current.sms_number
        for i in range(MAX_STEPS):
            step = current.steps[i] if i < len(current.steps) else {}
            self.fields[f"step{i}_who"] = forms.ChoiceField(
                label=_("step %(n)d: who") % {"n": i + 1},
                choices=[("", "—"), *Who.choices],
                required=False,
                initial=step.get("who", ""),
            )
            self.fields[f"step{i}_wait"] = forms.IntegerField(
                label=_("wait for an answer (seconds)"),
                min_value=10,
                max_value=86_400,
                required=False,
                initial=step.get("wait_seconds"),
            )
            self.fields[f"step{i}_channels"] = forms.MultipleChoiceField(
                label=_("channels"),
                choices=Channel.choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                initial=step.get("channels", []),
            )

    def step_rows(self) -> list[tuple[Any, Any, Any]]:
        return [
            (self[f"step{i}_who"], self[f"step{i}_wait"], self[f"step{i}_channels"])
            for i in range(MAX_STEPS)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        steps = []
        for i in range(MAX_STEPS):
            who = data.get(f"step{i}_who")
            if not who:
                continue
            wait = data.get(f"step{i}_wait")
            channels = data.get(f"step{i}_channels") or []
            if wait is None:
                self.add_error(f"step{i}_wait", _("How long to wait before the next step?"))
            if not channels:
                self.add_error(f"step{i}_channels", _("Choose at least one channel."))
            steps.append({"who": who, "wait_seconds": wait, "channels": list(channels)})
        if not steps:
            raise forms.ValidationError(_("A policy needs at least one step."))
        data["steps"] = steps
        return data

    def policy(self) -> dict[str, Any]:
        return {
            "steps": self.cleaned_data["steps"],
            "repeat_seconds": self.cleaned_data["repeat_seconds"],
            "desk_phone": self.cleaned_data["desk_phone"],
            "desk_email": self.cleaned_data["desk_email"],
            "sms_number": self.cleaned_data["sms_number"],
        }
