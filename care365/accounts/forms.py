"""Reasons, break-the-glass, the access log's filter, and the county's users."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from care365.accounts.access import carers_for_user, county_for_admin, organisations_for_user
from care365.accounts.models import AccessOutcome, AccessPurpose, Role, User
from care365.accounts.reasons import MAX_REASON_CHARS, reason_field_validator, reason_hint
from care365.areas.models import Area
from care365.carers.models import Carer, Organisation
from care365.core.forms import DATE_WIDGET, BoundedModelChoiceField, blank_choice
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


class UserForm(forms.Form):
    """A user of the county: their role and its scope (an area of the role's level, or the
    carer record of an officer, a doctor or a volunteer), their name and email."""

    username = forms.CharField(
        label=_("username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocapitalize": "none", "autocomplete": "off"}),
        help_text=_("What they type to sign in: letters, digits and @ . + - _ only."),
    )
    role = forms.ChoiceField(label=_("role"), choices=blank_choice(Role.choices))
    area = BoundedModelChoiceField(
        label=_("area of responsibility"),
        queryset=Area.objects.none(),
        required=False,
        help_text=_(
            "For a county administrator the county, for a supervisor a township, for a "
            "director a village."
        ),
    )
    carer = BoundedModelChoiceField(
        label=_("carer record"),
        queryset=Carer.objects.none(),
        required=False,
        help_text=_("For a police officer, a doctor or a volunteer: their record as a carer."),
    )
    organisation = BoundedModelChoiceField(
        label=_("organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=_("For a teacher their school; for organisation staff their organisation."),
    )
    last_name = forms.CharField(label=_("family name"), max_length=150, required=False)
    first_name = forms.CharField(label=_("given name"), max_length=150, required=False)
    email = forms.EmailField(label=_("email address"), max_length=254, required=False)

    def __init__(self, *args: Any, actor: User, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["username"]
        county = county_for_admin(actor)
        area = self.fields["area"]
        carer = self.fields["carer"]
        organisation = self.fields["organisation"]
        assert isinstance(area, forms.ModelChoiceField)  # noqa: S101  # declared above
        assert isinstance(carer, forms.ModelChoiceField)  # noqa: S101
        assert isinstance(organisation, forms.ModelChoiceField)  # noqa: S101
        if county is not None:
            area.queryset = Area.objects.filter(code__startswith=county.code).order_by("code")
            carer.queryset = carers_for_user(actor).filter(active=True).order_by("role", "name")
            organisation.queryset = (
                organisations_for_user(actor)
                .exclude(kind__in=list(Organisation.ROLE))
                .order_by("kind", "name")
            )

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "username"}
