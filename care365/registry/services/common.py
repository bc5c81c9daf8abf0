"""What the registry's services share: the errors they raise about ID numbers and names,
how a name is cleaned, and birthdays."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from care365.registry import idnumber, names

ID_ERRORS = {
    idnumber.IdNumberError.SHAPE: gettext_lazy(
        "An ID number has 17 digits followed by a digit or X."
    ),
    idnumber.IdNumberError.DATE: gettext_lazy(
        "The birth date inside this ID number is not a real date."
    ),
    idnumber.IdNumberError.CHECK: gettext_lazy(
        "The last character does not match: check the number again."
    ),
    idnumber.IdNumberError.REGION: gettext_lazy(
        "The first six digits are not a region code that has ever existed: check the number again."
    ),
}


# One answer for an ID number already on record, wherever the record is: it names no village,
# township or county, and says the same whether or not a transfer request was opened.
TAKEN = gettext_lazy(
    "A child with this ID number is already registered. The county administrators are told, "
    "and can move the record to your village if the child moved here."
)


BLANK_NAME = gettext_lazy("Type the name: spaces or invisible characters alone are not a name.")


class IdNumberTaken(ValidationError):  # noqa: N818  # a ValidationError, named for what happened
    """A registration or an edit typed an ID number another record holds. Raised (after the
    service's transaction is rolled back) with that record's id, which is never shown: the
    access layer writes the attempt to that child's access log and opens a transfer request
    (accounts.services.id_number_probes_recorded)."""

    def __init__(self, child_id: int) -> None:
        super().__init__({"id_number": [TAKEN]}, code="duplicate")
        self.child_id = child_id


def _name(value: Any, field: str, *, required: bool) -> str:
    """A name as stored (registry.names.normalise); a required one left blank is refused."""
    name = names.normalise(str(value or ""))
    if required and not name:
        raise ValidationError({field: BLANK_NAME}, code="blank")
    return name


def _birthday(born: date, years: int) -> date:
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # born on 29 February
        return born.replace(year=born.year + years, month=3, day=1)
