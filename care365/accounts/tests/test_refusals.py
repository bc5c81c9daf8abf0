"""Refusals in the access log: an outcome that keeps the hash chain of older entries, and the
break-the-glass rule in the service itself."""

from __future__ import annotations

from datetime import UTC

import pytest
from django.core.exceptions import PermissionDenied

from care365.accounts.access import access_log_write, child_get_for_user, may_break_glass
from care365.accounts.models import AccessGrant, AccessLog, AccessPurpose
from care365.accounts.services import access_grant_open
from care365.core import chain
from care365.core.ledger import audit_key_current, chain_verify
from conftest import Personas

pytestmark = pytest.mark.django_db

REASON = "代同事值班，儿童走失，需要监护人电话"


def test_an_allowed_entry_hashes_as_entries_did_before_outcomes(personas: Personas) -> None:
    """Entries written before the outcome existed (all reads) must keep verifying: an allowed
    entry's payload is exactly the payload they were hashed with."""
    read = access_log_write(personas.director_a, personas.child_a.pk, AccessPurpose.VIEW)
    refused = access_log_write(
        personas.director_a, personas.child_a.pk, AccessPurpose.EDIT, outcome="refused"
    )
    before_outcomes = {
        "seq": read.seq,
        "at": read.at.astimezone(UTC).isoformat(),
        "user": read.user_id,
        "child": read.child_id,
        "purpose": read.purpose,
        "route": read.route,
        "reason": read.reason,
    }
    _, key = audit_key_current()
    assert read.hash == chain.entry_mac(key, read.prev_hash, before_outcomes)
    assert refused.chain_payload()["outcome"] == "refused"
    assert chain_verify(AccessLog) == (2, None)


def test_a_refused_entry_cannot_be_passed_off_as_a_read(personas: Personas) -> None:
    """The outcome is in the hashed payload: the same entry as a read hashes differently."""
    refused = access_log_write(
        personas.director_a, personas.child_a.pk, AccessPurpose.EDIT, outcome="refused"
    )
    as_a_read = {k: v for k, v in refused.chain_payload().items() if k != "outcome"}
    _, key = audit_key_current()
    assert chain.entry_mac(key, refused.prev_hash, refused.chain_payload()) == refused.hash
    assert chain.entry_mac(key, refused.prev_hash, as_a_read) != refused.hash


def test_a_carer_editing_the_registry_is_a_logged_refusal(personas: Personas) -> None:
    """An officer who opened a child in an emergency sees it, and may not change the registry:
    the attempt is written as a refusal, not as a read."""
    grant = access_grant_open(
        user=personas.officer, id_number=personas.child_b.id_number, reason=REASON
    )
    with pytest.raises(PermissionDenied):
        child_get_for_user(personas.officer, grant.child_id, AccessPurpose.EDIT, route="test")
    entry = AccessLog.objects.order_by("-seq").first()
    assert entry is not None
    assert (entry.user, entry.purpose, entry.outcome) == (personas.officer, "edit", "refused")


def test_only_responders_may_break_the_glass(personas: Personas) -> None:
    allowed = {
        who: may_break_glass(getattr(personas, who))
        for who in ("admin", "supervisor_a", "director_a", "officer", "doctor", "volunteer")
    }
    assert allowed == {
        "admin": True,
        "supervisor_a": True,
        "director_a": True,
        "officer": True,
        "doctor": True,
        "volunteer": False,
    }
    assert not may_break_glass(personas.outsider)
    with pytest.raises(PermissionDenied):
        access_grant_open(
            user=personas.volunteer, id_number=personas.child_b.id_number, reason=REASON
        )
    assert not AccessGrant.objects.exists()
    assert AccessLog.objects.get().outcome == "refused"
