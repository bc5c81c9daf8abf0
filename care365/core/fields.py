"""Model fields that keep sensitive text encrypted at rest."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models

from care365.core import crypto


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]  # stubs' generic params
    """Text stored as a Fernet token; Python code only ever sees the plaintext.

    Encrypted values cannot be filtered or ordered in SQL: pair the field with a keyed hash
    (crypto.lookup_hash) where exact look-up is needed.
    """

    description = "Text encrypted at rest"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str:
        if value is None or value == "":
            return ""
        return crypto.decrypt(value)

    def get_prep_value(self, value: Any) -> str:
        text = super().get_prep_value(value)
        if text is None or text == "":
            return ""
        return crypto.encrypt(str(text))

    def formfield(self, **kwargs: Any) -> Any:
        """A short value (a phone, an email: `max_length` set) is a one-line input, not a text
        area; `max_length` bounds the form's input (the column holds the longer token)."""
        if self.max_length is not None and self.max_length <= 254:
            kwargs.setdefault("widget", forms.TextInput)
        return super().formfield(**kwargs)


class PhoneHashField(models.CharField):  # type: ignore[type-arg]  # stubs' generic params
    """The keyed hash (crypto.phone_hash) of the phone number in the encrypted field `source`,
    for finding a row by phone without decrypting a table.

    Derived, like auto_now: the hash is computed from the phone whenever the row is saved
    (save, create, bulk_create), so no writer can forget it. Writers that bypass the model
    (queryset.update, bulk_update, COPY) set it themselves with crypto.phone_hash. NULL when
    there is no number.
    """

    description = "Keyed hash of a phone number"

    def __init__(self, *args: Any, source: str, **kwargs: Any) -> None:
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs["null"] = True
        kwargs["blank"] = True
        kwargs["editable"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        for fixed in ("null", "blank", "editable"):
            kwargs.pop(fixed, None)
        if kwargs.get("max_length") == 64:
            del kwargs["max_length"]
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str | None:
        value = crypto.phone_hash(getattr(model_instance, self.source) or "")
        setattr(model_instance, self.attname, value)
        return value
