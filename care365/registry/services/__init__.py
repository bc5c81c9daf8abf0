"""Every write to the registry (one module per entity, re-exported here). Each service is one
transaction and writes its audit row in it.

Services validate what the registry must always hold (a valid ID number that agrees with the
record, one record per ID number, statuses that end with a reason) and raise ValidationError keyed
by field, so pages and the API can show each error beside its field in the user's language.
Who may call them is decided before, by the access layer.

- children: registration, changes and exit of a child's record (flagging possible duplicates);
- statuses: a child's statuses, ageing out, and the copy of the open ones on the child;
- parents: parents and the entrusted carer, and a parent's return home;
- duplicates: resolving possible duplicates;
- consent: a guardian's consent to a purpose;
- transfers: requests to move a record to another village;
- retention: how long a record is kept after the child left, and its anonymisation;
- common: the errors about ID numbers and names the others raise.
"""

from care365.registry.services.children import (
    CHILD_FIELDS,
    ChildInput,
    child_exit,
    child_register,
    child_update,
)
from care365.registry.services.common import BLANK_NAME, ID_ERRORS, TAKEN, IdNumberTaken
from care365.registry.services.consent import consent_record, consent_withdraw
from care365.registry.services.duplicates import duplicate_resolve
from care365.registry.services.parents import GUARDIAN_FIELDS, PARENT_FIELDS, parent_return
from care365.registry.services.retention import (
    ANONYMOUS_NAME,
    DEFAULT_RETENTION_YEARS,
    child_anonymise,
    children_anonymise_due,
    retention_years,
)
from care365.registry.services.statuses import (
    SYNC_CHUNK,
    open_statuses_sync,
    status_add,
    status_end,
    statuses_age_out,
)
from care365.registry.services.transfers import transfer_request_decide, transfer_request_open

__all__ = [
    "ANONYMOUS_NAME",
    "BLANK_NAME",
    "CHILD_FIELDS",
    "DEFAULT_RETENTION_YEARS",
    "GUARDIAN_FIELDS",
    "ID_ERRORS",
    "PARENT_FIELDS",
    "SYNC_CHUNK",
    "TAKEN",
    "ChildInput",
    "IdNumberTaken",
    "child_anonymise",
    "child_exit",
    "child_register",
    "child_update",
    "children_anonymise_due",
    "consent_record",
    "consent_withdraw",
    "duplicate_resolve",
    "open_statuses_sync",
    "parent_return",
    "retention_years",
    "status_add",
    "status_end",
    "statuses_age_out",
    "transfer_request_decide",
    "transfer_request_open",
]
