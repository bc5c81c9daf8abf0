"""The access layer's in-memory visibility check against the scope's query, with pairings
(a carer's scope is the children paired with them, so this lives above pairing)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from care365.accounts.access import child_visible, children_for_user
from care365.accounts.models import AccessGrant, User
from care365.pairing.models import Pairing
from care365.registry.models import Child, Consent, ConsentPurpose
from conftest import Personas

pytestmark = pytest.mark.django_db


def test_child_visible_agrees_with_the_scope_for_every_persona_and_child(
    personas: Personas,
) -> None:
    """`child_visible` (in memory for area-scoped users) must answer what `children_for_user`
    answers: by role and area, for paired carers (with and without the volunteer consent), for
    a break-the-glass grant, and for disabled users."""
    for role, carer in personas.carers.items():
        Pairing.objects.create(
            child=personas.child_a, role=role, carer=carer, since=date(2026, 1, 1)
        )
    Consent.objects.create(
        child=personas.child_b, purpose=ConsentPurpose.VOLUNTEER, given_on=date(2025, 1, 1)
    )
    Pairing.objects.create(
        child=personas.child_b,
        role="volunteer",
        carer=personas.carers["volunteer"],
        since=date(2026, 1, 1),
    )
    AccessGrant.objects.create(
        user=personas.director_a,
        child=personas.child_other,
        reason="代同事值班处理紧急情况",
        expires_at=timezone.now() + timedelta(minutes=30),
    )
    User.objects.filter(pk=personas.director_b.pk).update(is_active=False)
    users = [
        User.objects.get(pk=u.pk)
        for u in (
            personas.admin,
            personas.supervisor_a,
            personas.director_a,
            personas.director_b,
            personas.officer,
            personas.doctor,
            personas.volunteer,
            personas.outsider,
            personas.other_admin,
        )
    ]
    children = list(Child.objects.all())
    seen = 0
    for user in users:
        for child in children:
            expected = children_for_user(user).filter(pk=child.pk).exists()
            assert child_visible(user, child) == expected, (user.username, child.pk)
            seen += expected
    assert seen >= 7  # the check saw both answers
