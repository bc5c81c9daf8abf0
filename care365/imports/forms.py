"""The import pages' forms: upload, matching columns, applying."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from care365.core.imports.columns import Column
from care365.imports.models import ImportKind, ImportMode


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=())
    file = forms.FileField(
        label=_("File (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def __init__(self, *args: Any, kinds: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)  # noqa: S101  # declared above
        kind.choices = [(k, ImportKind(k).label) for k in kinds]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB: split it, or ask to import it on the server.")
                % {"mb": settings.IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        return upload


class ColumnsForm(forms.Form):
    """One choice per column of the import: which of the file's columns holds it."""

    def __init__(
        self,
        *args: Any,
        columns: tuple[Column, ...],
        header: list[str],
        mapping: dict[str, int],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("(not in the file)"))] + [
            (str(i), text or _("column %(n)d") % {"n": i + 1}) for i, text in enumerate(header)
        ]
        self.columns = columns
        for column in columns:
            label = f"{column.label} · {column.header}"
            self.fields[column.key] = forms.ChoiceField(
                label=label,
                choices=choices,
                required=column.required,
                initial=str(mapping[column.key]) if column.key in mapping else "",
            )

    def mapping(self) -> dict[str, int]:
        return {k: int(v) for k, v in self.cleaned_data.items() if v not in ("", None)}


class ApplyForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("How to apply"),
        choices=ImportMode.choices,
        initial=ImportMode.ALL_OR_NOTHING,
        widget=forms.RadioSelect,
    )
