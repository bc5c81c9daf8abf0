"""The public report form and the status look-up (parsing only: `services` checks every field
and its errors are put beside them with `add_service_errors`). Fields are not required here so
that each error comes from the service, in one wording; the browser is asked for them
(`required`) all the same."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from care365.carers.models import ServiceKind
from care365.core.forms import blank_choice
from care365.network.models import (
    NAME_MAX,
    PERSON_MAX,
    PLACE_MAX,
    REASON_MAX,
    ROLE_TEXT_MAX,
    SEEN_MAX,
    WHERE_MAX,
    CaseConference,
    ReporterRole,
    Situation,
)

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


# Referrals (转介): parsing only; `services.referrals` checks every field and its errors go
# beside them (`add_service_errors`), in one wording for pages and API.
REFERRAL_TEXT = {**REQUIRED, "rows": "3", "maxlength": str(REASON_MAX)}


class ReferralForm(forms.Form):
    # Plain text fields shown as lists: an unknown value is refused by the service, in its words.
    organisation = forms.CharField(
        label=_("organisation"), required=False, max_length=20,
        widget=forms.Select(attrs=REQUIRED),
    )  # fmt: skip
    service = forms.CharField(
        label=_("service"), required=False, max_length=20,
        widget=forms.Select(attrs=REQUIRED, choices=blank_choice(ServiceKind.choices)),
    )  # fmt: skip
    reason = forms.CharField(
        label=_("reason for the referral"), required=False, max_length=REASON_MAX * 2,
        widget=forms.Textarea(attrs=REFERRAL_TEXT),
        help_text=_(
            "The organisation's staff read this: write what they need to know for the service."
        ),
    )  # fmt: skip
    referrer_phone = forms.CharField(
        label=_("your phone, for the organisation"), required=False, max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=_("The organisation reaches you, and the family through you, on this number."),
    )  # fmt: skip

    def __init__(self, *args: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        widget = self.fields["organisation"].widget
        assert isinstance(widget, forms.Select)  # noqa: S101  # declared above
        widget.choices = blank_choice(
            [
                (
                    o.pk,
                    f"{o.name} ({o.area.name}) · "
                    + "、".join(str(ServiceKind(s).label) for s in o.services),
                )
                for o in organisations
            ]
        )

    def organisation_id(self) -> int | None:
        value = str(self.cleaned_data.get("organisation") or "")
        return int(value) if value.isdigit() and len(value) < 19 else None


class ReferralDeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("why declined"), required=False, max_length=REASON_MAX * 2,
        widget=forms.Textarea(attrs=REFERRAL_TEXT),
    )  # fmt: skip


class ReferralDoneForm(forms.Form):
    what_done = forms.CharField(
        label=_("what was done"), required=False, max_length=REASON_MAX * 2,
        widget=forms.Textarea(attrs=REFERRAL_TEXT),
    )  # fmt: skip
    outcome = forms.CharField(
        label=_("outcome"), required=False, max_length=REASON_MAX * 2,
        widget=forms.Textarea(attrs=REFERRAL_TEXT),
    )  # fmt: skip


# Case conferences (联席会议): parsing only; `services.conferences` checks every field and its
# errors go beside them, in one wording for pages and API.
LONG_TEXT = {"rows": "4", "maxlength": str(REASON_MAX * 4)}


def _id(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() and len(text) < 19 else None


def _person(user: Any) -> str:
    return f"{user.display_name} · {user.get_role_display()}"


class ConferenceForm(forms.Form):
    held_on = forms.CharField(
        label=_("held on"), required=False, max_length=20,
        widget=forms.DateInput(attrs={**REQUIRED, "type": "date"}),
    )  # fmt: skip
    place = forms.CharField(label=_("place"), required=False, max_length=PLACE_MAX * 2)
    format = forms.CharField(
        label=_("meeting format"), required=False, max_length=20,
        widget=forms.Select(choices=CaseConference.Format.choices),
    )  # fmt: skip
    reason = forms.CharField(
        label=_("why convened"), required=False, max_length=REASON_MAX * 2,
        help_text=_("Required when the child is not on the risk list."),
        widget=forms.Textarea(attrs={"rows": "3", "maxlength": str(REASON_MAX)}),
    )  # fmt: skip


class ConferenceEditForm(forms.Form):
    held_on = forms.CharField(
        label=_("held on"), required=False, max_length=20,
        widget=forms.DateInput(attrs={**REQUIRED, "type": "date"}, format="%Y-%m-%d"),
    )  # fmt: skip
    place = forms.CharField(label=_("place"), required=False, max_length=PLACE_MAX * 2)
    format = forms.CharField(
        label=_("meeting format"), required=False, max_length=20,
        widget=forms.Select(choices=CaseConference.Format.choices),
    )  # fmt: skip
    summary = forms.CharField(
        label=_("what was discussed"), required=False, max_length=REASON_MAX * 8,
        widget=forms.Textarea(attrs=LONG_TEXT),
    )  # fmt: skip
    decisions = forms.CharField(
        label=_("what was decided"), required=False, max_length=REASON_MAX * 8,
        widget=forms.Textarea(attrs=LONG_TEXT),
    )  # fmt: skip


class ConferenceHoldForm(forms.Form):
    summary = forms.CharField(
        label=_("what was discussed"), required=False, max_length=REASON_MAX * 8,
        widget=forms.Textarea(attrs=LONG_TEXT),
    )  # fmt: skip
    decisions = forms.CharField(
        label=_("what was decided"), required=False, max_length=REASON_MAX * 8,
        widget=forms.Textarea(attrs={**LONG_TEXT, **REQUIRED}),
    )  # fmt: skip


class AttendeeForm(forms.Form):
    user = forms.CharField(label=_("user"), required=False, max_length=20, widget=forms.Select)
    name = forms.CharField(label=_("or a person's name"), required=False, max_length=PERSON_MAX * 2)
    organisation = forms.CharField(
        label=_("organisation"), required=False, max_length=20, widget=forms.Select
    )
    role = forms.CharField(
        label=_("role at the conference"), required=False, max_length=ROLE_TEXT_MAX * 2
    )

    def __init__(self, *args: Any, users: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["user"].widget.choices = blank_choice([(u.pk, _person(u)) for u in users])
        fields["organisation"].widget.choices = blank_choice(
            [(o.pk, o.name) for o in organisations]
        )

    def user_id(self) -> int | None:
        return _id(self.cleaned_data.get("user"))

    def organisation_id(self) -> int | None:
        return _id(self.cleaned_data.get("organisation"))


class ActionForm(forms.Form):
    what = forms.CharField(
        label=_("what to do"), required=False, max_length=REASON_MAX * 2,
        widget=forms.Textarea(attrs=REFERRAL_TEXT),
    )  # fmt: skip
    owner = forms.CharField(
        label=_("owner"), required=False, max_length=20, widget=forms.Select(attrs=REQUIRED)
    )
    due_on = forms.CharField(
        label=_("due on"), required=False, max_length=20,
        widget=forms.DateInput(attrs={**REQUIRED, "type": "date"}),
    )  # fmt: skip
    organisation = forms.CharField(
        label=_("organisation"), required=False, max_length=20, widget=forms.Select
    )

    def __init__(self, *args: Any, users: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["owner"].widget.choices = blank_choice([(u.pk, _person(u)) for u in users])
        fields["organisation"].widget.choices = blank_choice(
            [(o.pk, o.name) for o in organisations]
        )

    def owner_id(self) -> int | None:
        return _id(self.cleaned_data.get("owner"))

    def organisation_id(self) -> int | None:
        return _id(self.cleaned_data.get("organisation"))


class ActionDoneForm(forms.Form):
    note = forms.CharField(
        label=_("what was done"), required=False, max_length=REASON_MAX * 2,
        widget=forms.Textarea(attrs=REFERRAL_TEXT),
    )  # fmt: skip
