"""Forms of the daily-care pages. They parse and check shapes; daily care's services hold the
rules (who may log what, ranges, the instrument's answers), and their ValidationErrors are shown
beside the fields they name (`forms.add_service_errors`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from care365.accounts.models import User
from care365.accounts.visibility import child_row
from care365.areas.models import Area
from care365.care import screening
from care365.care.models import (
    GIFT_REASON_MAX,
    GIFT_VALUE_MAX,
    GIFT_WHAT_MAX,
    OTHER_ATTENDEES_MAX,
    Activity,
    CareEvent,
    CareSettings,
    ContactChannel,
    ContactKind,
    HealthTopic,
    LearningGoal,
    Mood,
    Position,
    Subject,
    WhichParent,
)
from care365.care.models.learning import GOAL_MAX
from care365.care.models.learning import NOTE_MAX as LEARNING_NOTE_MAX
from care365.care.models.learning import WHAT_MAX as INTEREST_WHAT_MAX
from care365.care.services.contacts import DURATION_MAX, FOLLOW_UP_MAX, WHAT_MAX
from care365.care.services.settings import SETTINGS_FIELDS
from care365.care.services.wishes import COST_MAX, NOTE_MAX
from care365.carers.models import Organisation
from care365.core.forms import DATE_WIDGET
from care365.registry.models import Child, Interest

# Quick choices for how long a contact took, in minutes: one tap on a phone.
DURATIONS = (10, 20, 30, 45, 60, 90)
MOMENT_FORMAT = "%Y-%m-%dT%H:%M"


def _minutes(n: int) -> str:
    return str(_("%(n)d min")) % {"n": n}


class ContactLogForm(forms.Form):
    """A contact in a few taps: the kind (preset by role), how long, a face for the mood, and for
    a volunteer what they did together. The rest is optional."""

    kind = forms.ChoiceField(label=_("kind"), widget=forms.RadioSelect)
    duration_minutes = forms.TypedChoiceField(
        label=_("how long"),
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
    )
    duration_other = forms.IntegerField(
        label=_("or another length (minutes)"),
        min_value=1,
        max_value=DURATION_MAX,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    mood = forms.TypedChoiceField(
        label=_("the child's mood"),
        choices=Mood.choices,
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
    )
    activities = forms.MultipleChoiceField(
        label=_("what you did together"),
        choices=Activity.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    channel = forms.ChoiceField(
        label=_("how the parents were in touch"),
        choices=ContactChannel.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    parent = forms.ChoiceField(
        label=_("which parent"),
        choices=WhichParent.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    what = forms.CharField(
        label=_("what was done"),
        max_length=WHAT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    follow_up_needed = forms.BooleanField(label=_("follow-up needed"), required=False)
    follow_up_note = forms.CharField(
        label=_("what needs following up"), max_length=FOLLOW_UP_MAX, required=False
    )
    occurred_at = forms.DateTimeField(
        label=_("when, if not just now"),
        required=False,
        input_formats=[MOMENT_FORMAT],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=MOMENT_FORMAT),
    )

    def __init__(self, *args: Any, kinds: Iterable[str], kind: str, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})["kind"] = kind
        super().__init__(*args, **kwargs)
        allowed = list(kinds)
        field = self.fields["kind"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101  # declared above
        field.choices = [(k, ContactKind(k).label) for k in allowed]
        duration = self.fields["duration_minutes"]
        assert isinstance(duration, forms.ChoiceField)  # noqa: S101  # declared above
        duration.choices = [(n, _minutes(n)) for n in DURATIONS]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        other = data.get("duration_other")
        if other is not None:
            data["duration_minutes"] = other
        kind = data.get("kind")
        # What the page hides for the other kinds is dropped, not refused.
        if kind != ContactKind.VOLUNTEER_VISIT:
            data["activities"] = []
        if kind != ContactKind.PARENT_CONTACT:
            data["channel"] = ""
            data["parent"] = ""
        if not data.get("follow_up_needed"):
            data["follow_up_note"] = ""
        return data

    def values(self) -> dict[str, Any]:
        """The service's keyword arguments."""
        d = self.cleaned_data
        at: datetime | None = d.get("occurred_at")
        return {
            "kind": d["kind"],
            "duration_minutes": d.get("duration_minutes"),
            "occurred_at": at,
            "what": d.get("what") or "",
            "mood": d.get("mood"),
            "activities": list(d.get("activities") or []),
            "channel": d.get("channel") or "",
            "parent": d.get("parent") or "",
            "follow_up_needed": bool(d.get("follow_up_needed")),
            "follow_up_note": d.get("follow_up_note") or "",
        }


class ExaminationForm(forms.Form):
    examined_on = forms.DateField(
        label=_("examined on"), widget=DATE_WIDGET, initial=timezone.localdate
    )
    height_cm = forms.DecimalField(
        label=_("height (cm)"), max_digits=4, decimal_places=1, required=False
    )
    weight_kg = forms.DecimalField(
        label=_("weight (kg)"), max_digits=5, decimal_places=2, required=False
    )
    position = forms.ChoiceField(
        label=_("measured"),
        choices=Position.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("Under two years children are measured lying down."),
    )
    vision_left = forms.DecimalField(
        label=_("vision, left eye"), max_digits=2, decimal_places=1, required=False
    )
    vision_right = forms.DecimalField(
        label=_("vision, right eye"), max_digits=2, decimal_places=1, required=False
    )
    decayed_teeth = forms.IntegerField(
        label=_("decayed teeth"), min_value=0, max_value=32, required=False
    )
    teeth_notes = forms.CharField(label=_("teeth"), max_length=500, required=False)
    systolic = forms.IntegerField(label=_("blood pressure, systolic (mmHg)"), required=False)
    diastolic = forms.IntegerField(label=_("blood pressure, diastolic (mmHg)"), required=False)
    notes = forms.CharField(
        label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    # Offered (by the page) once a value was refused as implausible: the doctor checked it.
    confirm_implausible = forms.BooleanField(
        label=_("I checked: the values are right. Save them."), required=False
    )

    MEASURES = (
        "height_cm",
        "weight_kg",
        "vision_left",
        "vision_right",
        "decayed_teeth",
        "systolic",
        "diastolic",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("height_cm", "weight_kg", "vision_left", "vision_right"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "step": "any"})

    def values(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "examined_on": d["examined_on"],
            "position": d.get("position") or "",
            "teeth_notes": d.get("teeth_notes") or "",
            "notes": d.get("notes") or "",
            "confirm_implausible": bool(d.get("confirm_implausible")),
            **{name: d.get(name) for name in self.MEASURES},
        }


def _options(options: Iterable[screening.Option], language: str) -> list[tuple[int, str]]:
    return [(o.value, f"{o.value} · {o.label.get(language)}") for o in options]


class ScreeningForm(forms.Form):
    """One instrument's form, built from its file: every item with its answers in the reader's
    language (as printed on the paper form, score first), and its supplementary questions."""

    screened_on = forms.DateField(
        label=_("screened on"), widget=DATE_WIDGET, initial=timezone.localdate
    )

    def __init__(
        self, *args: Any, instrument: screening.Instrument, language: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for item in instrument.items:
            self.fields[f"item_{item.number}"] = forms.TypedChoiceField(
                label=f"{item.number}. {item.text.get(language)}",
                choices=_options(item.options, language),
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": _("Answer this question.")},
            )
        for question in instrument.supplementary:
            self.fields[f"sup_{question.code}"] = forms.TypedChoiceField(
                label=question.text.get(language),
                choices=_options(question.options, language),
                coerce=int,
                required=False,
                empty_value=None,
                widget=forms.RadioSelect,
            )

    def item_fields(self) -> list[forms.BoundField]:
        return [self[f"item_{item.number}"] for item in self.instrument.items]

    def supplementary_fields(self) -> list[forms.BoundField]:
        return [self[f"sup_{q.code}"] for q in self.instrument.supplementary]

    def answers(self) -> list[int]:
        return [int(self.cleaned_data[f"item_{i.number}"]) for i in self.instrument.items]

    def supplementary(self) -> dict[str, int]:
        found = {}
        for q in self.instrument.supplementary:
            value = self.cleaned_data.get(f"sup_{q.code}")
            if value is not None:
                found[q.code] = int(value)
        return found


class WishForm(forms.Form):
    what = forms.CharField(label=_("the wish"), max_length=200)
    cost_yuan = forms.IntegerField(
        label=_("rough cost (yuan)"),
        min_value=1,
        max_value=COST_MAX,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    note = forms.CharField(label=_("note"), max_length=NOTE_MAX, required=False)


class WishActForm(forms.Form):
    """What a step on a wish may carry: a donor's name when a director claims for someone
    without an account, a note when the wish is confirmed with the child."""

    donor_name = forms.CharField(
        label=_("donor (without an account)"), max_length=100, required=False
    )
    note = forms.CharField(label=_("note"), max_length=NOTE_MAX, required=False)


class TaskDoneForm(forms.Form):
    note = forms.CharField(label=_("note"), max_length=2000, required=False)


def _child_choices(user: User, children: QuerySet[Child]) -> list[tuple[int, str]]:
    rows = []
    for child in children.select_related("village").order_by("village__name", "name", "pk"):
        row = child_row(child, user)
        rows.append((child.pk, f"{row.get('name') or child.pk} · {child.village.name}"))
    return rows


class _AreaChildrenForm(forms.Form):
    """A form about an area and some of the user's children (sessions and events)."""

    area = forms.ModelChoiceField(label=_("township or village"), queryset=Area.objects.none())
    children = forms.TypedMultipleChoiceField(
        label=_("children present"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args: Any,
        user: User,
        areas: QuerySet[Area],
        children: QuerySet[Child],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        area = self.fields["area"]
        assert isinstance(area, forms.ModelChoiceField)  # noqa: S101  # declared above
        area.queryset = areas.order_by("code")
        chosen = self.fields["children"]
        assert isinstance(chosen, forms.ChoiceField)  # noqa: S101  # declared above
        chosen.choices = _child_choices(user, children)
        self._children = children

    def chosen_children(self) -> list[Child]:
        ids = self.cleaned_data.get("children") or []
        return list(self._children.filter(pk__in=ids))


class HealthSessionForm(_AreaChildrenForm):
    topic = forms.ChoiceField(label=_("topic"), choices=HealthTopic.choices)
    title = forms.CharField(label=_("title (optional)"), max_length=200, required=False)
    held_on = forms.DateField(label=_("held on"), widget=DATE_WIDGET, initial=timezone.localdate)
    place = forms.CharField(label=_("place"), max_length=200, required=False)
    school = forms.ModelChoiceField(
        label=_("school (optional)"), queryset=Organisation.objects.none(), required=False
    )
    materials = forms.CharField(
        label=_("materials used"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    other_attendees = forms.IntegerField(
        label=_("other people present (teachers, parents, other children)"),
        min_value=0,
        max_value=OTHER_ATTENDEES_MAX,
        initial=0,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    notes = forms.CharField(
        label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    field_order = [
        "topic",
        "title",
        "held_on",
        "place",
        "area",
        "school",
        "children",
        "other_attendees",
        "materials",
        "notes",
    ]

    def __init__(
        self, *args: Any, schools: QuerySet[Organisation] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        school = self.fields["school"]
        assert isinstance(school, forms.ModelChoiceField)  # noqa: S101  # declared above
        school.queryset = schools if schools is not None else Organisation.objects.none()


class SessionFigureFilterForm(forms.Form):
    """The period of the health education figures: from and to a day (both shown on the
    page)."""

    since = forms.DateField(label=_("from"), widget=DATE_WIDGET, required=False)
    until = forms.DateField(label=_("to"), widget=DATE_WIDGET, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("The first day comes after the last."))
        return data


# --- the volunteers' study help and interests ------------------------------------------------


class LearningGoalForm(forms.Form):
    subject = forms.ChoiceField(label=_("subject"), choices=Subject.choices)
    goal = forms.CharField(
        label=_("goal"), max_length=GOAL_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )
    started_on = forms.DateField(
        label=_("started on"), widget=DATE_WIDGET, initial=timezone.localdate
    )


class LearningNoteForm(forms.Form):
    """A progress note on one of the child's goals, and the goal's new state if it changed."""

    goal = forms.TypedChoiceField(label=_("goal"), coerce=int)
    note = forms.CharField(
        label=_("progress"), max_length=LEARNING_NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    noted_on = forms.DateField(label=_("day"), widget=DATE_WIDGET, initial=timezone.localdate)
    state = forms.ChoiceField(
        label=_("the goal is now"),
        choices=[("", _("unchanged")), *LearningGoal.State.choices],
        required=False,
    )

    def __init__(self, *args: Any, goals: Iterable[LearningGoal] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        goal = self.fields["goal"]
        assert isinstance(goal, forms.ChoiceField)  # noqa: S101  # declared above
        goal.choices = [(g.pk, f"{g.get_subject_display()} · {g.goal[:40]}") for g in goals]


class InterestActivityForm(forms.Form):
    interest = forms.ChoiceField(label=_("interest"), choices=Interest.choices)
    what = forms.CharField(label=_("what was done"), max_length=INTEREST_WHAT_MAX)
    done_on = forms.DateField(label=_("day"), widget=DATE_WIDGET, initial=timezone.localdate)
    note = forms.CharField(
        label=_("note"),
        max_length=LEARNING_NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CareEventForm(_AreaChildrenForm):
    kind = forms.ChoiceField(label=_("kind"), choices=CareEvent.Kind.choices)
    title = forms.CharField(label=_("title"), max_length=200)
    held_on = forms.DateField(label=_("held on"), widget=DATE_WIDGET, initial=timezone.localdate)
    place = forms.CharField(label=_("place"), max_length=200, required=False)
    given = forms.CharField(
        label=_("what was given"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    notes = forms.CharField(
        label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    field_order = ["kind", "title", "held_on", "place", "area", "children", "given", "notes"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].label = _("county, township or village")
        self.fields["children"].label = _("children who came")


class GiftPlanForm(forms.Form):
    """A gift for many children at once: every child of the chosen township or village who has
    no gift at the event yet, or the children ticked (gift_plan checks each)."""

    EVERY = "every"
    TICKED = "ticked"

    what = forms.CharField(label=_("gift"), max_length=GIFT_WHAT_MAX)
    value_yuan = forms.IntegerField(
        label=_("value per gift (yuan)"), min_value=1, max_value=GIFT_VALUE_MAX, required=False
    )
    donor = forms.ModelChoiceField(
        label=_("donor"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("(none: the county's own)"),
    )
    whom = forms.ChoiceField(
        label=_("for whom"),
        widget=forms.RadioSelect,
        initial=EVERY,
    )
    children = forms.TypedMultipleChoiceField(
        label=_("children"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(
        self,
        *args: Any,
        user: User,
        donors: QuerySet[Organisation],
        children: QuerySet[Child],
        area_name: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        donor = self.fields["donor"]
        assert isinstance(donor, forms.ModelChoiceField)  # noqa: S101  # declared above
        donor.queryset = donors
        whom = self.fields["whom"]
        assert isinstance(whom, forms.ChoiceField)  # noqa: S101  # declared above
        whom.choices = [
            (self.EVERY, _("every child of %(area)s without a gift yet") % {"area": area_name}),
            (self.TICKED, _("only the children ticked below")),
        ]
        chosen = self.fields["children"]
        assert isinstance(chosen, forms.ChoiceField)  # noqa: S101  # declared above
        chosen.choices = _child_choices(user, children)
        self._children = children

    def chosen_children(self) -> list[Child]:
        if self.cleaned_data.get("whom") == self.EVERY:
            return list(self._children)
        ids = self.cleaned_data.get("children") or []
        return list(self._children.filter(pk__in=ids))


class GiftActForm(forms.Form):
    """What a step on a gift may carry: a note when it is confirmed with the child, the reason
    when it was not delivered."""

    note = forms.CharField(label=_("note"), max_length=NOTE_MAX, required=False)
    reason = forms.CharField(label=_("why not"), max_length=GIFT_REASON_MAX, required=False)


class CareSettingsForm(forms.ModelForm):  # type: ignore[type-arg]  # generic only in the stubs
    """The county's visit intervals and risk list (care_settings_update validates again)."""

    class Meta:
        model = CareSettings
        fields = SETTINGS_FIELDS
