"""The form that asks for a report."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from care365.accounts.models import User
from care365.insights.reports.access import report_areas_for_user
from care365.insights.reports.models import Report
from care365.insights.reports.periods import period_latest


class ReportRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("report"), choices=Report.Kind.choices)
    period = forms.CharField(
        label=_("period"),
        max_length=7,
        help_text=_("A month as 2025-06, a quarter as 2025-Q2, a year as 2025."),
    )
    area = forms.TypedChoiceField(label=_("area"), coerce=int)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        areas = list(report_areas_for_user(user).order_by("code"))
        self.areas = {a.pk: a for a in areas}
        area_field = self.fields["area"]
        assert isinstance(area_field, forms.TypedChoiceField)  # noqa: S101  # declared above
        area_field.choices = [(a.pk, a.name) for a in areas]
        if not self.is_bound:
            self.initial.setdefault("kind", Report.Kind.MONTHLY)
            self.initial.setdefault("period", period_latest("monthly", timezone.localdate()))
            if areas:
                self.initial.setdefault("area", areas[0].pk)
