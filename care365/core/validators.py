"""Validators that pages, the API and imports share, with messages in the user's language."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from care365.core.phones import InvalidPhone, check_phone

PHONE_ERROR = _(
    "Enter a mainland mobile number (11 digits, starting with 1) or a landline with its area "
    "code, such as 0578-5081234."
)


def validate_phone(value: str) -> None:
    """A model and form validator: blank passes (fields say whether they are required)."""
    if not value or not value.strip():
        return
    try:
        check_phone(value)
    except InvalidPhone as exc:
        raise ValidationError(PHONE_ERROR, code="phone") from exc
