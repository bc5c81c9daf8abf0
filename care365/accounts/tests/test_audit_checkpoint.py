"""The daily checkpoint of the audit chains: a signed line per chain in the checkpoint file, and
the same lines for every county administrator, in the app and by email."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from care365.accounts.access import child_get_for_user
from care365.accounts.jobs import BROKEN_KIND, CHECKPOINT_KIND
from care365.core import chain
from care365.core.checkpoints import checkpoints_read
from care365.core.ledger import audit_key_current
from care365.core.models import Notice
from care365.core.tests.attacker import as_attacker
from care365.worker.loop import JOBS, job_run_if_due
from conftest import Personas

pytestmark = pytest.mark.django_db

JOB = next(job for job in JOBS if job.name == "audit_checkpoint")


def _run(day_offset: int = 0) -> str | None:
    today = timezone.localdate() + timedelta(days=day_offset)
    return job_run_if_due(JOB, today=today, now=timezone.now())


def test_the_daily_checkpoint_writes_signed_lines_and_tells_the_county_admins(
    personas: Personas, settings: Any, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    p = personas
    p.admin.email = "admin@county.example"
    p.admin.save()
    for _ in range(3):
        child_get_for_user(p.director_a, p.child_a.pk, "view")

    with django_capture_on_commit_callbacks(execute=True):
        summary = _run()
    assert summary is not None and "access at 3" in summary
    assert _run() is None  # once a day

    found = checkpoints_read(Path(settings.AUDIT_CHECKPOINT_FILE))
    assert found.bad == [] and not found.missing
    access = found.last("access")
    assert access is not None and access.seq == 3
    assert access.key_id == audit_key_current()[0]
    assert {pt.chain for pt in found.points} == {"access", "audit", "id_lookup", "list_export"}

    told = Notice.objects.filter(kind=CHECKPOINT_KIND)
    assert sorted(n.recipient_id for n in told) == sorted([p.admin.pk, p.other_admin.pk])
    # The notice carries the very lines of the file, which verify on their own.
    points = told.get(recipient=p.admin).params["points"]
    line = next(pt for pt in points if pt["chain"] == "access")
    assert chain.checkpoint_parse(chain.canonical(line), {access.key_id: audit_key_current()[1]})
    assert not Notice.objects.exclude(recipient__role="county_admin").filter(kind=CHECKPOINT_KIND)
    [email] = mail.outbox
    assert email.to == ["admin@county.example"]
    assert chain.checkpoint_line(access).strip() in email.body
    assert p.child_a.name not in email.body

    client.force_login(p.admin)
    home = client.get("/", headers={"Accept-Language": "en"}).content.decode()
    assert "#3" in home and access.mac[:12] in home
    # Each of the four chains by its own name.
    for name in ("audit trail #", "access log #", "ID number look-up log #", "list export log #"):
        assert name in home, name

    _run(day_offset=1)  # the next day: one more line per chain
    assert (
        len(checkpoints_read(Path(settings.AUDIT_CHECKPOINT_FILE)).points) == 8
    )  # 2 days x 4 chains


def test_a_chain_that_does_not_hold_is_reported_not_checkpointed(
    personas: Personas, settings: Any
) -> None:
    p = personas
    for _ in range(3):
        child_get_for_user(p.director_a, p.child_a.pk, "view")
    _run()
    child_get_for_user(p.director_a, p.child_a.pk, "view")
    as_attacker("UPDATE accounts_accesslog SET reason = 'forged' WHERE seq = 4")

    summary = _run(day_offset=1)

    assert summary is not None and "BROKEN: access at 4" in summary
    found = checkpoints_read(Path(settings.AUDIT_CHECKPOINT_FILE))
    assert [pt.seq for pt in found.points if pt.chain == "access"] == [3]  # no new one
    broken = Notice.objects.get(kind=BROKEN_KIND, recipient=p.admin)
    assert broken.params["broken"][0]["chain"] == "access"
    assert broken.params["broken"][0]["seq"] == 4


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_pages_name_no_developer_command(client: Client, personas: Personas, language: str) -> None:
    """A county administrator reads the access log and a broken-log notice in words: what to do
    and whom to tell, never a command to type (that is the operator's, in docs/operations.md)."""
    Notice.objects.create(
        recipient=personas.admin,
        kind=BROKEN_KIND,
        params={"broken": [{"chain": "access", "seq": 3}]},
        link="/access-log/",
    )
    client.force_login(personas.admin)
    for url in ("/", "/access-log/"):
        html = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert "verify_audit" not in html and "care365 " not in html, url
    home = client.get("/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert ("operator" in home) if language == "en" else ("运维人员" in home)
