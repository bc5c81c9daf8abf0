"""Transfer requests: opened once per child and village, decided once; accepting moves the
child as an edit does, with its audit rows."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from care365.core.models import AuditEvent
from care365.registry import services
from care365.registry.models import Child, ExitReason, TransferRequest
from conftest import Personas

pytestmark = pytest.mark.django_db


def test_one_open_request_per_child_and_village(personas: Personas) -> None:
    child = personas.child_a
    first, new = services.transfer_request_open(
        actor=personas.director_b, child_id=child.pk, village=personas.village_b
    )
    again, again_new = services.transfer_request_open(
        actor=personas.admin, child_id=child.pk, village=personas.village_b
    )
    other, other_new = services.transfer_request_open(
        actor=personas.admin, child_id=child.pk, village=personas.other_village
    )

    assert (new, again_new, other_new) == (True, False, True)
    assert again == first and other != first
    assert AuditEvent.objects.filter(action="transfer_request_open").count() == 2


def test_accepting_moves_the_child_and_is_decided_once(personas: Personas) -> None:
    child = personas.child_a
    transfer, _new = services.transfer_request_open(
        actor=personas.director_b, child_id=child.pk, village=personas.village_b
    )

    services.transfer_request_decide(actor=personas.admin, transfer=transfer, accept=True)

    assert Child.objects.get(pk=child.pk).village == personas.village_b
    assert list(
        AuditEvent.objects.filter(object_id=child.pk)
        .order_by("seq")
        .values_list("action", "changes")
    )[-2:] == [("child_update", ["village"]), ("transfer_request_decide", [])]
    with pytest.raises(ValidationError):
        services.transfer_request_decide(actor=personas.admin, transfer=transfer, accept=False)
    transfer.refresh_from_db()
    assert transfer.status == TransferRequest.Status.ACCEPTED
    # Decided: a new request from the same village may be opened again.
    assert services.transfer_request_open(
        actor=personas.director_b, child_id=child.pk, village=personas.village_a
    )[1]


def test_a_child_who_left_cannot_be_moved_and_the_request_stays_open(
    personas: Personas,
) -> None:
    child = personas.child_a
    services.child_exit(
        actor=personas.admin, child=child, reason=ExitReason.MOVED_AWAY, on=date(2026, 1, 2)
    )
    transfer, _new = services.transfer_request_open(
        actor=personas.director_b, child_id=child.pk, village=personas.village_b
    )

    with pytest.raises(ValidationError):
        services.transfer_request_decide(actor=personas.admin, transfer=transfer, accept=True)

    transfer.refresh_from_db()
    assert transfer.status == TransferRequest.Status.OPEN
    assert Child.objects.get(pk=child.pk).village == personas.village_a
