"""Forms for the pages. They parse and check shapes; the registry's rules live in the services,
whose ValidationErrors `add_service_errors` puts beside the matching fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from care365.accounts.access import areas_for_user
from care365.accounts.models import AccessOutcome, AccessPurpose, User
from care365.accounts.reasons import MAX_REASON_CHARS, reason_field_validator, reason_hint
from care365.accounts.visibility import param_allowed, params_refused
from care365.areas.models import Area
from care365.carers.models import CarerRole
from care365.core.ids import MAX_ID
from care365.core.widgets import ListSelect
from care365.pairing.models import Outcome, PairingSettings, PairRule
from care365.pairing.solver import WEIGHT_NAMES, Weights
from care365.pairing.solver.model import MAX_PER_KM, MAX_WEIGHT
from care365.registry.models import (
    Child,
    ChildStatus,
    ConsentPurpose,
    Ethnicity,
    ExitReason,
    Grade,
    Guardian,
    GuardianRelationship,
    Hukou,
    IncomeSource,
    Interest,
    Language,
    Parent,
    ParentRole,
    ParentSituation,
    Sex,
    StatusEndReason,
    StatusKind,
)
from care365.registry.services import CHILD_FIELDS, GUARDIAN_FIELDS, PARENT_FIELDS, ChildInput

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PARENT_ROLES = (ParentRole.FATHER, ParentRole.MOTHER)
MAX_SEARCH = 50


def _label(model: type[models.Model], name: str) -> Any:
    return model._meta.get_field(name).verbose_name  # type: ignore[union-attr]  # concrete fields


def _blank(choices: Any, label: Any = "—") -> list[tuple[str, Any]]:
    return [("", label), *choices]


def _given(values: dict[str, Any]) -> dict[str, Any]:
    """Leave out empty dates: the services store a missing value as "", which a date refuses."""
    return {k: v for k, v in values.items() if v is not None}


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError beside the fields it names; the rest on top."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.error_dict.items():
        form.add_error(key if key in form.fields else None, ValidationError(errors))


class LoginForm(AuthenticationForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(
            {"autocapitalize": "none", "autocomplete": "username"}
        )
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"


class CodeForm(forms.Form):
    """A code from the authenticator app (or, at sign-in, a recovery code)."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )


class VillageField(forms.ModelChoiceField):  # type: ignore[type-arg]  # generic only in the stubs
    def label_from_instance(self, obj: Area) -> str:
        return f"{obj.parent.name} · {obj.name}" if obj.parent else obj.name


class ChildForm(forms.Form):
    """Registration and edit of a child with parents and entrusted carer, in one page."""

    name = forms.CharField(label=_label(Child, "name"), max_length=50)
    sex = forms.ChoiceField(
        label=_label(Child, "sex"), choices=Sex.choices, widget=forms.RadioSelect
    )
    birth_date = forms.DateField(label=_label(Child, "birth_date"), widget=DATE_WIDGET)
    ethnicity = forms.ChoiceField(
        label=_label(Child, "ethnicity"), choices=Ethnicity.choices, initial=Ethnicity.HAN
    )
    id_number = forms.CharField(
        label=_label(Child, "id_number"),
        max_length=18,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    hukou = forms.ChoiceField(label=_label(Child, "hukou"), choices=Hukou.choices)
    village = VillageField(label=_label(Child, "village"), queryset=Area.objects.none())
    address = forms.CharField(label=_label(Child, "address"), max_length=200, required=False)
    school = forms.CharField(label=_label(Child, "school"), max_length=100, required=False)
    grade = forms.ChoiceField(label=_label(Child, "grade"), choices=Grade.choices)
    boarding = forms.BooleanField(label=_label(Child, "boarding"), required=False)
    health_notes = forms.CharField(
        label=_label(Child, "health_notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    disability_notes = forms.CharField(
        label=_label(Child, "disability_notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    interests = forms.MultipleChoiceField(
        label=_label(Child, "interests"),
        choices=Interest.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    languages = forms.MultipleChoiceField(
        label=_label(Child, "languages"),
        choices=Language.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    income_source = forms.ChoiceField(
        label=_label(Child, "income_source"), choices=IncomeSource.choices
    )
    statuses = forms.MultipleChoiceField(
        label=_("statuses"),
        choices=StatusKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    # The child's own fields, as the registry services accept them.
    CHILD_FIELDS = CHILD_FIELDS

    def __init__(self, *args: Any, user: User, child: Child | None = None, **kwargs: Any):
        self.child = child
        if child is not None:
            kwargs.setdefault("initial", self.initial_for(child))
        super().__init__(*args, **kwargs)
        village_field = self.fields["village"]
        assert isinstance(village_field, VillageField)  # noqa: S101  # declared above
        village_field.queryset = (
            areas_for_user(user)
            .filter(level=Area.Level.VILLAGE)
            .select_related("parent")
            .order_by("code")
        )
        if child is None:
            # A director (or anyone) with one village registers there: it comes chosen.
            only = list(village_field.queryset.values_list("pk", flat=True)[:2])
            if len(only) == 1:
                village_field.initial = only[0]
                village_field.empty_label = None
        for role in PARENT_ROLES:
            self._add_parent_fields(role)
        self._add_guardian_fields()
        if child is not None:
            # Statuses change through their own actions once a child is registered; the full
            # ID number is never sent back to the browser, so a blank field keeps it.
            del self.fields["statuses"]
            self.fields["id_number"].help_text = _(
                "Leave blank to keep the number on record; type a new one to replace it."
            )

    def _add_parent_fields(self, role: str) -> None:
        p = f"{role}_"
        self.fields[p + "name"] = forms.CharField(
            label=_label(Parent, "name"), max_length=50, required=False
        )
        self.fields[p + "situation"] = forms.ChoiceField(
            label=_label(Parent, "situation"),
            choices=_blank(ParentSituation.choices, _("not recorded")),
            required=False,
        )
        self.fields[p + "work_place"] = forms.CharField(
            label=_label(Parent, "work_place"), max_length=100, required=False
        )
        self.fields[p + "away_since"] = forms.DateField(
            label=_label(Parent, "away_since"), required=False, widget=DATE_WIDGET
        )
        self.fields[p + "unable_reason"] = forms.CharField(
            label=_label(Parent, "unable_reason"), max_length=200, required=False
        )
        self.fields[p + "phone"] = forms.CharField(
            label=_label(Parent, "phone"),
            max_length=20,
            required=False,
            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        )

    def _add_guardian_fields(self) -> None:
        self.fields["guardian_name"] = forms.CharField(
            label=_label(Guardian, "name"), max_length=50, required=False
        )
        self.fields["guardian_relationship"] = forms.ChoiceField(
            label=_label(Guardian, "relationship"),
            choices=_blank(GuardianRelationship.choices),
            required=False,
        )
        self.fields["guardian_phone"] = forms.CharField(
            label=_label(Guardian, "phone"),
            max_length=20,
            required=False,
            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        )
        self.fields["guardian_suitability_checked_on"] = forms.DateField(
            label=_label(Guardian, "suitability_checked_on"), required=False, widget=DATE_WIDGET
        )
        self.fields["guardian_parents_notified_village_on"] = forms.DateField(
            label=_label(Guardian, "parents_notified_village_on"),
            required=False,
            widget=DATE_WIDGET,
        )

    @staticmethod
    def initial_for(child: Child) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(child, name) for name in ChildForm.CHILD_FIELDS if name != "id_number"
        }
        initial["village"] = child.village_id
        for parent in child.parents.all():
            for name in PARENT_FIELDS:
                initial[f"{parent.role}_{name}"] = getattr(parent, name)
        guardian = Guardian.objects.filter(child=child).first()
        if guardian is not None:
            for name in GUARDIAN_FIELDS:
                initial[f"guardian_{name}"] = getattr(guardian, name)
        return initial

    def sections(self) -> list[tuple[Any, list[forms.BoundField]]]:
        """Field groups for the template, in the order a director fills them in."""
        groups: list[tuple[Any, list[str]]] = [
            (_("Child"), ["name", "sex", "birth_date", "ethnicity", "id_number", "hukou"]),
            (_("Where they live"), ["village", "address", "income_source"]),
            (_("Schooling"), ["school", "grade", "boarding"]),
            (_("Health"), ["health_notes", "disability_notes"]),
            (_("Interests"), ["interests", "languages"]),
        ]
        if "statuses" in self.fields:
            groups.append((_("Statuses"), ["statuses"]))
        for role in PARENT_ROLES:
            groups.append((role.label, [f"{role}_{n}" for n in PARENT_FIELDS]))
        groups.append((_("Entrusted carer"), [f"guardian_{n}" for n in GUARDIAN_FIELDS]))
        return [(title, [self[n] for n in names]) for title, names in groups]

    def child_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {name: data[name] for name in self.CHILD_FIELDS if name in data}
        if self.child is not None and not values.get("id_number"):
            values.pop("id_number", None)
        return values

    def parents(self) -> dict[str, dict[str, Any]]:
        data = self.cleaned_data
        result: dict[str, dict[str, Any]] = {}
        for role in PARENT_ROLES:
            values = _given({n: data.get(f"{role}_{n}") for n in PARENT_FIELDS})
            if values.get("situation"):
                result[role.value] = values
        return result

    def guardian(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        values = _given({n: data.get(f"guardian_{n}") for n in GUARDIAN_FIELDS})
        return values if any(values.values()) else None

    def registration(self) -> ChildInput:
        return ChildInput(
            child=self.child_values(),
            statuses=list(self.cleaned_data.get("statuses") or []),
            parents=self.parents(),
            guardian=self.guardian(),
        )


class ChildFilterForm(forms.Form):
    """The list's filters; they travel as GET parameters. The search text never does."""

    area = forms.TypedChoiceField(
        label=_("area"), coerce=int, required=False, empty_value=None, widget=ListSelect
    )
    status = forms.ChoiceField(
        label=_("status"),
        choices=_blank(StatusKind.choices, _("any")),
        required=False,
        widget=ListSelect,
    )
    age_min = forms.IntegerField(label=_("age from"), min_value=0, max_value=17, required=False)
    age_max = forms.IntegerField(label=_("age to"), min_value=0, max_value=17, required=False)
    sex = forms.ChoiceField(
        label=_("sex"), choices=_blank(Sex.choices, _("any")), required=False, widget=ListSelect
    )
    exited = forms.BooleanField(label=_("include children who left"), required=False)

    PARAMS = ("area", "status", "age_min", "age_max", "sex", "exited")

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Filters on fields the role does not see are not offered (DESIGN.md, "No oracles").
        self.refused = params_refused(
            user, "children", [p for p in self.PARAMS if self.data.get(p) not in (None, "")]
        )
        for name in self.PARAMS:
            if not param_allowed(user, "children", name):
                del self.fields[name]
        areas = areas_for_user(user).order_by("code")
        area_field = self.fields["area"]
        assert isinstance(area_field, forms.TypedChoiceField)  # noqa: S101  # declared above
        area_field.choices = _blank(
            [(a.pk, a.name if a.level != Area.Level.VILLAGE else f"· {a.name}") for a in areas],
            _("all my areas"),
        )

    def values(self) -> dict[str, Any]:
        """The valid filters only; an invalid one is shown as an error and left out."""
        self.is_valid()
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v not in (None, "")}

    def query(self) -> dict[str, str]:
        values = self.values()
        return {
            k: ("1" if v is True else str(v))
            for k, v in values.items()
            if k in self.PARAMS and v is not False
        }


class ChildSearchForm(ChildFilterForm):
    q = forms.CharField(
        label=_("name or ID number"),
        max_length=MAX_SEARCH,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "type": "search"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        if not param_allowed(user, "children", "id_number"):
            sees_names = param_allowed(user, "children", "sort_name")
            self.fields["q"].label = _("name") if sees_names else _("given name")


def reason_field(label: Any, help_text: Any = None) -> forms.CharField:
    """A reason for reaching more of a child's data: the one rule of `reason_validate`."""
    return forms.CharField(
        label=label,
        max_length=MAX_REASON_CHARS,
        validators=[reason_field_validator],
        help_text=help_text or reason_hint(),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class RevealIdForm(forms.Form):
    reason = reason_field(_("reason for seeing the full ID number"))


class ConfirmIdForm(forms.Form):
    """Check a typed ID number against the record: the answer is match or no match."""

    id_number = forms.CharField(
        label=_("ID number to check"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    reason = reason_field(_("why it must be checked"))


class ExportForm(forms.Form):
    reason = reason_field(
        _("reason for the export"),
        format_lazy("{} {}", _("For example the guardian's request and its date."), reason_hint()),
    )


class ExitForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("exit reason"),
        choices=[c for c in ExitReason.choices if c[0] != ExitReason.DUPLICATE],
    )
    on = forms.DateField(label=_("date"), widget=DATE_WIDGET, initial=timezone.localdate)


class StatusAddForm(forms.Form):
    kind = forms.ChoiceField(label=_label(ChildStatus, "kind"), choices=StatusKind.choices)
    started_on = forms.DateField(
        label=_label(ChildStatus, "started_on"), widget=DATE_WIDGET, required=False
    )


class StatusEndForm(forms.Form):
    reason = forms.ChoiceField(
        label=_label(ChildStatus, "end_reason"),
        choices=[
            c
            for c in StatusEndReason.choices
            if c[0] not in (StatusEndReason.CHILD_EXITED, StatusEndReason.AGED_OUT)
        ],
    )
    on = forms.DateField(label=_label(ChildStatus, "ended_on"), widget=DATE_WIDGET, required=False)


class ParentReturnForm(forms.Form):
    on = forms.DateField(label=_("returned on"), widget=DATE_WIDGET, required=False)


class DuplicateResolveForm(forms.Form):
    resolution = forms.ChoiceField(
        choices=[
            ("distinct", _("confirmed as different children")),
            ("merged", _("merged")),
        ]
    )


class CarerFilterForm(forms.Form):
    role = forms.ChoiceField(
        label=_("role"), choices=_blank(CarerRole.choices, _("any")), required=False
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
        area_field.choices = _blank([(a.pk, a.name) for a in areas.order_by("code")], _("any"))

    def values(self) -> dict[str, Any]:
        self.is_valid()
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v not in (None, "")}


class ProposalFilterForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("outcome"), choices=_blank(Outcome.choices, _("changes")), required=False
    )
    role = forms.ChoiceField(
        label=_("role"), choices=_blank(CarerRole.choices, _("any")), required=False
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
    child = forms.IntegerField(
        label=_("child number"), min_value=1, max_value=MAX_ID, required=False
    )
    purpose = forms.ChoiceField(
        label=_("purpose"), choices=_blank(AccessPurpose.choices, _("any")), required=False
    )
    since = forms.DateField(label=_("from"), widget=DATE_WIDGET, required=False)
    until = forms.DateField(label=_("until"), widget=DATE_WIDGET, required=False)
    outcome = forms.ChoiceField(
        label=_("outcome"), choices=_blank(AccessOutcome.choices, _("any")), required=False
    )

    def values(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
