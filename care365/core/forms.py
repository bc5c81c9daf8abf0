"""What every app's forms share: the date widget, blank choices, labels from the model, and
`add_service_errors`, which puts a service's ValidationErrors beside the matching fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from care365.core.ids import MAX_ID

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_SEARCH = 50  # characters of a name search


def label_of(model: type[models.Model], name: str) -> Any:
    return model._meta.get_field(name).verbose_name  # type: ignore[union-attr]  # concrete fields


def blank_choice(choices: Any, label: Any = "—") -> list[tuple[str, Any]]:
    return [("", label), *choices]


def given_values(values: dict[str, Any]) -> dict[str, Any]:
    """Leave out empty dates: the services store a missing value as "", which a date refuses."""
    return {k: v for k, v in values.items() if v is not None}


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError beside the fields it names; the rest on top."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.error_dict.items():
        form.add_error(key if key in form.fields else None, ValidationError(errors))


def has_error_code(exc: ValidationError, code: str) -> bool:
    """Whether any of a service's errors carries `code` (e.g. `implausible`: the page then
    offers to confirm the value)."""
    if hasattr(exc, "error_dict"):
        return any(e.code == code for errors in exc.error_dict.values() for e in errors)
    return any(e.code == code for e in exc.error_list)


def _bounded(value: Any) -> None:
    """An id beyond what the databases store is no record: refused as an invalid choice before
    it reaches a query (SQLite cannot even bind it)."""
    values = value if isinstance(value, list | tuple) else [value]
    for item in values:
        if item in (None, ""):
            continue
        try:
            number = int(str(item))
        except ValueError:
            continue  # the field's own check refuses it
        if not 0 < number <= MAX_ID:
            raise ValidationError(
                forms.ModelChoiceField.default_error_messages["invalid_choice"],
                code="invalid_choice",
            )


class BoundedModelChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]  # stubs' generic
    """ModelChoiceField for a record by id, refusing ids no database holds."""

    def to_python(self, value: Any) -> Any:
        _bounded(value)
        return super().to_python(value)


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """ModelMultipleChoiceField for records by id, refusing ids no database holds."""

    def clean(self, value: Any) -> Any:
        _bounded(value)
        return super().clean(value)
