"""The carers list's filter."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from care365.accounts.access import carer_areas_for_user, organisations_for_user
from care365.accounts.models import User
from care365.areas.models import Area
from care365.carers.models import BackgroundCheck, CarerRole, Organisation, ServiceKind, Skill
from care365.core.forms import (
    DATE_WIDGET,
    MAX_SEARCH,
    BoundedModelChoiceField,
    BoundedModelMultipleChoiceField,
    blank_choice,
)
from care365.core.validators import validate_phone
from care365.protection.models import Notification
from care365.registry.models import Language


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


class CarerForm(forms.Form):
    """A carer's record as a county administrator (or, for a volunteer they propose, a
    supervisor or a director) types it. Vetting is its own form (`CarerVetForm`)."""

    name = forms.CharField(label=_("name"), max_length=50)
    sex = forms.ChoiceField(label=_("sex"), choices=[("M", _("male")), ("F", _("female"))])
    phone = forms.CharField(
        label=_("phone"),
        max_length=20,
        required=False,
        validators=[validate_phone],
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    organisation = BoundedModelChoiceField(
        label=_("station, health centre, clinic or group"), queryset=Organisation.objects.none()
    )
    capacity = forms.IntegerField(label=_("capacity (children)"), min_value=1, max_value=500)
    service_areas = BoundedModelMultipleChoiceField(
        label=_("service area"),
        queryset=Area.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The townships and villages the carer serves; pairing prefers them."),
    )
    skills = forms.MultipleChoiceField(
        label=_("skills"),
        choices=Skill.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    languages = forms.MultipleChoiceField(
        label=_("languages"),
        choices=Language.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    latitude = forms.FloatField(
        label=_("latitude"),
        min_value=-90,
        max_value=90,
        required=False,
        help_text=_("Where the carer works; empty: where their organisation is."),
    )
    longitude = forms.FloatField(
        label=_("longitude"), min_value=-180, max_value=180, required=False
    )

    def __init__(self, *args: Any, user: User, role: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = [kind for kind, r in Organisation.ROLE.items() if r == role]
        organisation = self.fields["organisation"]
        assert isinstance(organisation, forms.ModelChoiceField)  # noqa: S101  # declared above
        organisation.queryset = (
            organisations_for_user(user).filter(kind__in=kinds).select_related("area")
        )
        areas = self.fields["service_areas"]
        assert isinstance(areas, forms.ModelMultipleChoiceField)  # noqa: S101
        areas.queryset = carer_areas_for_user(user).order_by("code")

    def values(self) -> dict[str, Any]:
        """The cleaned values as the services take them (an empty place: the organisation's)."""
        values = dict(self.cleaned_data)
        values["service_areas"] = list(values["service_areas"])
        for name in ("latitude", "longitude"):
            if values.get(name) is None:
                values.pop(name, None)
        return values


class CarerVetForm(forms.Form):
    background_check = forms.ChoiceField(
        label=_("background check"), choices=BackgroundCheck.choices, required=False
    )
    background_checked_on = forms.DateField(
        label=_("background checked on"), required=False, widget=DATE_WIDGET
    )
    trained_on = forms.DateField(label=_("trained on"), required=False, widget=DATE_WIDGET)


class OrganisationForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=Organisation.Kind.choices)
    name = forms.CharField(label=_("name"), max_length=100)
    area = BoundedModelChoiceField(label=_("area"), queryset=Area.objects.none())
    phone = forms.CharField(
        label=_("duty phone"),
        max_length=20,
        required=False,
        validators=[validate_phone],
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    contact_name = forms.CharField(label=_("contact person"), max_length=50, required=False)
    contact_phone = forms.CharField(
        label=_("contact phone"),
        max_length=20,
        required=False,
        validators=[validate_phone],
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    contact_email = forms.EmailField(
        label=_("contact email"),
        max_length=254,
        required=False,
        help_text=_("Referrals are also sent here."),
    )
    services = forms.MultipleChoiceField(
        label=_("services offered"),
        choices=ServiceKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What children may be referred to it for."),
    )

    def __init__(self, *args: Any, county: Area, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        area = self.fields["area"]
        assert isinstance(area, forms.ModelChoiceField)  # noqa: S101  # declared above
        area.queryset = Area.objects.filter(code__startswith=county.code).order_by("code")


class WebhookEndpointForm(forms.Form):
    """An organisation's new webhook endpoint: its address (the service checks it)."""

    url = forms.CharField(
        label=_("address (URL)"),
        max_length=500,
        widget=forms.TextInput(
            attrs={"type": "url", "inputmode": "url", "autocomplete": "off", "spellcheck": "false"}
        ),
        help_text=_("An https:// address of the organisation's system."),
    )


class WebhookDeliveryFilterForm(forms.Form):
    """The deliveries' list: by state only."""

    state = forms.ChoiceField(
        label=_("state"),
        required=False,
        choices=[("", _("every state")), *Notification.State.choices],
    )

    def values(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}
