"""Forms for the pages. They parse and check shapes; the registry's rules live in the services,
whose ValidationErrors `add_service_errors` puts beside the matching fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from care365.accounts.access import areas_for_user
from care365.accounts.forms import reason_field
from care365.accounts.models import User
from care365.accounts.reasons import reason_hint
from care365.accounts.visibility import param_allowed, params_refused
from care365.areas.models import Area
from care365.core.forms import DATE_WIDGET, MAX_SEARCH, blank_choice, given_values, label_of
from care365.core.validators import validate_phone
from care365.core.widgets import ListSelect
from care365.registry.models import (
    Child,
    ChildStatus,
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

PARENT_ROLES = (ParentRole.FATHER, ParentRole.MOTHER)


class VillageField(forms.ModelChoiceField):  # type: ignore[type-arg]  # generic only in the stubs
    def label_from_instance(self, obj: Area) -> str:
        return f"{obj.parent.name} · {obj.name}" if obj.parent else obj.name


class ChildForm(forms.Form):
    """Registration and edit of a child with parents and entrusted carer, in one page."""

    name = forms.CharField(label=label_of(Child, "name"), max_length=50)
    sex = forms.ChoiceField(
        label=label_of(Child, "sex"), choices=Sex.choices, widget=forms.RadioSelect
    )
    birth_date = forms.DateField(label=label_of(Child, "birth_date"), widget=DATE_WIDGET)
    ethnicity = forms.ChoiceField(
        label=label_of(Child, "ethnicity"), choices=Ethnicity.choices, initial=Ethnicity.HAN
    )
    id_number = forms.CharField(
        label=label_of(Child, "id_number"),
        max_length=18,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    hukou = forms.ChoiceField(label=label_of(Child, "hukou"), choices=Hukou.choices)
    village = VillageField(label=label_of(Child, "village"), queryset=Area.objects.none())
    address = forms.CharField(label=label_of(Child, "address"), max_length=200, required=False)
    school = forms.CharField(label=label_of(Child, "school"), max_length=100, required=False)
    grade = forms.ChoiceField(label=label_of(Child, "grade"), choices=Grade.choices)
    boarding = forms.BooleanField(label=label_of(Child, "boarding"), required=False)
    health_notes = forms.CharField(
        label=label_of(Child, "health_notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    disability_notes = forms.CharField(
        label=label_of(Child, "disability_notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    interests = forms.MultipleChoiceField(
        label=label_of(Child, "interests"),
        choices=Interest.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    languages = forms.MultipleChoiceField(
        label=label_of(Child, "languages"),
        choices=Language.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    income_source = forms.ChoiceField(
        label=label_of(Child, "income_source"), choices=IncomeSource.choices
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
            label=label_of(Parent, "name"), max_length=50, required=False
        )
        self.fields[p + "situation"] = forms.ChoiceField(
            label=label_of(Parent, "situation"),
            choices=blank_choice(ParentSituation.choices, _("not recorded")),
            required=False,
        )
        self.fields[p + "work_place"] = forms.CharField(
            label=label_of(Parent, "work_place"), max_length=100, required=False
        )
        self.fields[p + "away_since"] = forms.DateField(
            label=label_of(Parent, "away_since"), required=False, widget=DATE_WIDGET
        )
        self.fields[p + "unable_reason"] = forms.CharField(
            label=label_of(Parent, "unable_reason"), max_length=200, required=False
        )
        self.fields[p + "phone"] = forms.CharField(
            label=label_of(Parent, "phone"),
            max_length=20,
            required=False,
            validators=[validate_phone],
            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        )

    def _add_guardian_fields(self) -> None:
        self.fields["guardian_name"] = forms.CharField(
            label=label_of(Guardian, "name"), max_length=50, required=False
        )
        self.fields["guardian_relationship"] = forms.ChoiceField(
            label=label_of(Guardian, "relationship"),
            choices=blank_choice(GuardianRelationship.choices),
            required=False,
        )
        self.fields["guardian_phone"] = forms.CharField(
            label=label_of(Guardian, "phone"),
            max_length=20,
            required=False,
            validators=[validate_phone],
            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        )
        self.fields["guardian_suitability_checked_on"] = forms.DateField(
            label=label_of(Guardian, "suitability_checked_on"), required=False, widget=DATE_WIDGET
        )
        self.fields["guardian_parents_notified_village_on"] = forms.DateField(
            label=label_of(Guardian, "parents_notified_village_on"),
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
            values = given_values({n: data.get(f"{role}_{n}") for n in PARENT_FIELDS})
            if values.get("situation"):
                result[role.value] = values
        return result

    def guardian(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        values = given_values({n: data.get(f"guardian_{n}") for n in GUARDIAN_FIELDS})
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
        choices=blank_choice(StatusKind.choices, _("any")),
        required=False,
        widget=ListSelect,
    )
    age_min = forms.IntegerField(label=_("age from"), min_value=0, max_value=17, required=False)
    age_max = forms.IntegerField(label=_("age to"), min_value=0, max_value=17, required=False)
    sex = forms.ChoiceField(
        label=_("sex"),
        choices=blank_choice(Sex.choices, _("any")),
        required=False,
        widget=ListSelect,
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
        area_field.choices = blank_choice(
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
    kind = forms.ChoiceField(label=label_of(ChildStatus, "kind"), choices=StatusKind.choices)
    started_on = forms.DateField(
        label=label_of(ChildStatus, "started_on"), widget=DATE_WIDGET, required=False
    )


class StatusEndForm(forms.Form):
    reason = forms.ChoiceField(
        label=label_of(ChildStatus, "end_reason"),
        choices=[
            c
            for c in StatusEndReason.choices
            if c[0] not in (StatusEndReason.CHILD_EXITED, StatusEndReason.AGED_OUT)
        ],
    )
    on = forms.DateField(
        label=label_of(ChildStatus, "ended_on"), widget=DATE_WIDGET, required=False
    )


class ParentReturnForm(forms.Form):
    on = forms.DateField(label=_("returned on"), widget=DATE_WIDGET, required=False)


class DuplicateResolveForm(forms.Form):
    resolution = forms.ChoiceField(
        choices=[
            ("distinct", _("confirmed as different children")),
            ("merged", _("merged")),
        ]
    )
