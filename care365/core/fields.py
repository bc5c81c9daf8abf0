"""Model fields that keep sensitive text encrypted at rest."""

from __future__ import annotations

from typing import Any

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
