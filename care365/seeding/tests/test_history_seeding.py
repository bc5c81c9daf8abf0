"""The demo's history is the same for the same seed and day, and is written once, on a county
that has been paired. Apart from test_history.py, whose tests share one demo county: each of
these makes its own."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from care365.care.models import Contact, Examination, Screening, Wish
from care365.pairing.models import Pairing
from care365.protection.models import Alert
from care365.registry.models import Child
from care365.seeding.seed import seed_county
from care365.seeding.seed.demo import demo_users_ensure
from care365.seeding.seed.history import HistoryRefusedError, history_seed


def _digest() -> str:
    child = {pk: (n, b) for pk, n, b in Child.objects.values_list("pk", "name", "birth_date")}
    rows: list[Any] = []
    rows += sorted(
        (child[c], k, str(at), m)
        for c, k, at, m in Contact.objects.values_list("child", "kind", "occurred_at", "mood")
    )
    rows += sorted(
        (child[c], str(d), str(h), str(w), z)
        for c, d, h, w, z in Examination.objects.values_list(
            "child", "examined_on", "height_cm", "weight_kg", "zhfa"
        )
    )
    rows += sorted(
        (child[c], i, str(d), t)
        for c, i, d, t in Screening.objects.values_list(
            "child", "instrument", "screened_on", "total"
        )
    )
    rows += sorted(
        (child[c], w, s, str(p))
        for c, w, s, p in Wish.objects.values_list("child", "what", "state", "posted_at")
    )
    rows += sorted(
        (child[c] if c else None, k, str(r), str(a))
        for c, k, r, a in Alert.objects.values_list("child", "kind", "raised_at", "acknowledged_at")
    )
    rows += sorted(
        (child[c], str(r), str(e), x)
        for c, r, e, x in Child.objects.values_list(
            "pk", "registered_at", "exited_on", "exit_reason"
        )
    )
    return hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.mark.django_db
def test_the_same_seed_and_day_give_the_same_history_and_another_seed_does_not() -> None:
    now = datetime(2026, 7, 20, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    digests = []
    for seed in (5, 5, 6):
        with transaction.atomic():
            seed_county(children=150, seed=3, progress=False, today=now.date())
            demo_users_ensure()
            history_seed(days=365, seed=seed, now=now)
            digests.append(_digest())
            transaction.set_rollback(True)
    assert digests[0] == digests[1]
    assert digests[2] != digests[0]


@pytest.mark.django_db
def test_history_is_written_once_and_needs_a_paired_county() -> None:
    with pytest.raises(HistoryRefusedError, match="paired"):
        history_seed(days=30, seed=1)
    call_command(
        "seed", "--children", "120", "--seed", "2", "--history", "60",
        stdout=StringIO(), stderr=StringIO(),
    )  # fmt: skip
    assert Pairing.objects.exists() and Contact.objects.exists()
    first = timezone.localdate() - timedelta(days=59)
    assert not Contact.objects.filter(occurred_on__lt=first).exists()
    with pytest.raises(HistoryRefusedError, match="once"):
        history_seed(days=30, seed=1)
    with pytest.raises(CommandError, match="not with --dry-run"):
        call_command("seed", "--children", "1", "--history", "5", "--dry-run")
