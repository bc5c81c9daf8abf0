"""The schools pages' forms (parsing only: `services.schools` checks every field and its
errors are put beside them with `add_service_errors`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from care365.core.forms import blank_choice
from care365.network.models import CLASS_MAX, NOTE_MAX, REASON_MAX, AbsenceReason, Enrolment
from care365.network.services.schools import SCHOOL_GRADES
from care365.registry.models import Grade

REQUIRED = {"required": "required"}
DATE = {"type": "date"}


def _grade_choices() -> list[tuple[str, Any]]:
    return blank_choice([(g, Grade(g).label) for g in SCHOOL_GRADES])


class EnrolmentForm(forms.Form):
    school = forms.CharField(
        label=_("school"), required=False, max_length=20, widget=forms.Select(attrs=REQUIRED)
    )
    grade = forms.CharField(
        label=_("grade"), required=False, max_length=8,
        widget=forms.Select(attrs=REQUIRED, choices=_grade_choices()),
    )  # fmt: skip
    class_name = forms.CharField(
        label=_("class"), required=False, max_length=CLASS_MAX * 2,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. 3(2)")}),
    )  # fmt: skip
    since = forms.DateField(label=_("since"), required=False, widget=forms.DateInput(DATE))

    def __init__(self, *args: Any, schools: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        widget = self.fields["school"].widget
        assert isinstance(widget, forms.Select)  # noqa: S101  # declared above
        widget.choices = blank_choice([(s.pk, s.name) for s in schools])

    def school_id(self) -> int | None:
        value = str(self.cleaned_data.get("school") or "")
        return int(value) if value.isdigit() and len(value) < 19 else None


class EnrolmentEndForm(forms.Form):
    until = forms.DateField(label=_("until"), required=False, widget=forms.DateInput(DATE))
    reason = forms.CharField(
        label=_("why it ended"), required=False, max_length=12,
        widget=forms.Select(
            attrs=REQUIRED,
            choices=blank_choice(
                [c for c in Enrolment.End.choices if c[0] != Enrolment.End.DROPPED_OUT]
            ),
        ),
    )  # fmt: skip


class AbsenceForm(forms.Form):
    start = forms.DateField(label=_("from"), required=False, widget=forms.DateInput(DATE))
    end = forms.DateField(
        label=_("to (for several days)"), required=False, widget=forms.DateInput(DATE)
    )
    reason = forms.CharField(
        label=_("reason"), required=False, max_length=12,
        widget=forms.Select(attrs=REQUIRED, choices=blank_choice(AbsenceReason.choices)),
    )  # fmt: skip
    note = forms.CharField(
        label=_("note"), required=False, max_length=NOTE_MAX * 2,
        widget=forms.TextInput(attrs={"maxlength": str(NOTE_MAX)}),
    )  # fmt: skip


class DropOutForm(forms.Form):
    left_on = forms.DateField(
        label=_("left school on"), required=False, widget=forms.DateInput(DATE)
    )
    note = forms.CharField(
        label=_("note"), required=False, max_length=NOTE_MAX * 2,
        widget=forms.Textarea(attrs={"rows": "2", "maxlength": str(NOTE_MAX)}),
    )  # fmt: skip


class DropOutCloseForm(forms.Form):
    outcome = forms.CharField(
        label=_("outcome"), required=False, max_length=REASON_MAX * 2,
        widget=forms.Textarea(attrs={**REQUIRED, "rows": "3", "maxlength": str(REASON_MAX)}),
    )  # fmt: skip
