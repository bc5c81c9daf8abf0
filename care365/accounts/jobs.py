"""The daily checkpoint of the audit chains, sent to the county administrators.

`audit_checkpoint(today)` is a daily worker job (in `JOBS`, which care365/worker/loop.py runs) and
a command (`care365 audit_checkpoint`). It verifies each chain's entries since its last checkpoint,
appends the signed checkpoint lines to the checkpoint file (core/checkpoints.py) and gives every
county administrator the same lines: a notice in the app and, when they have an email address, an
email sent after the job's transaction commits. Copies held by people outside the database's
machine are what a rewritten log is checked against. A chain that does not hold gets no checkpoint:
the administrators are told where it breaks instead. Nothing in it names a child: a chain's name,
an entry number, a MAC and a time.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import date
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from care365.accounts.models import Role, User
from care365.core import chain
from care365.core.checkpoints import CheckpointRun, checkpoint_take
from care365.core.jobs import PeriodicJob
from care365.core.models import Notice

logger = logging.getLogger("care365.audit")

CHECKPOINT_KIND = "audit_checkpoint"
BROKEN_KIND = "audit_broken"


def _recipients() -> list[User]:
    """Every active county administrator of the installation: the chains are the installation's."""
    return list(User.objects.filter(role=Role.COUNTY_ADMIN, is_active=True).order_by("pk"))


def _mail_body(run: CheckpointRun) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        if run.broken:
            subject = gettext("Care365: the audit log does not hold")
            intro = gettext(
                "The daily check of the audit log found a chain that does not hold. No checkpoint "
                "was written for it. Run `care365 verify_audit` and investigate:"
            )
            lines = [f"{name}: entry {b.seq}: {b.why}" for name, b in run.broken]
        else:
            subject = gettext("Care365: audit log checkpoint")
            intro = gettext(
                "Today's signed checkpoint of the audit log. Keep this email: "
                "`care365 verify_audit` checks the log against these lines."
            )
            lines = []
        lines += [chain.checkpoint_line(p).rstrip("\n") for p in run.points]
    return subject, intro + "\n\n" + "\n".join(lines) + "\n"


def _mail_send(to: list[str], subject: str, body: str, key: str) -> None:
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        headers={"Message-ID": f"<{key}@care365>", "X-Care365-Idempotency-Key": key},
    )
    try:
        message.send(fail_silently=False)
    except (OSError, smtplib.SMTPException) as exc:
        # The checkpoint is in the file and in the notices; the email is a further copy.
        logger.warning("audit checkpoint email failed: %s", type(exc).__name__)


def checkpoint_send(today: date) -> tuple[CheckpointRun, int]:
    """Checkpoint the audit chains and send the checkpoint to the county administrators; call
    inside a transaction (the email leaves after it commits). Returns the run and how many
    administrators were told."""
    run = checkpoint_take(now=timezone.now())
    admins = _recipients()
    params: dict[str, object] = {
        "day": today.isoformat(),
        "points": [{**p.fields(), "sig": p.sig} for p in run.points],
    }
    if run.broken:
        params["broken"] = [{"chain": name, "seq": b.seq, "why": b.why} for name, b in run.broken]
    kind = BROKEN_KIND if run.broken else CHECKPOINT_KIND
    Notice.objects.bulk_create(
        [Notice(recipient=admin, kind=kind, params=params) for admin in admins]
    )
    emails = [admin.email for admin in admins if admin.email]
    if emails:
        subject, body = _mail_body(run)
        key = f"audit-checkpoint-{today.isoformat()}-{run.points[0].at if run.points else 'x'}"
        transaction.on_commit(partial(_mail_send, emails, subject, body, key))
    if run.broken:
        logger.error("audit chain does not hold: %s", run_summary(run))
    return run, len(admins)


def run_summary(run: CheckpointRun) -> str:
    summary = ", ".join(f"{p.chain} at {p.seq}" for p in run.points) or "nothing"
    if run.broken:
        summary += "; BROKEN: " + ", ".join(f"{name} at {b.seq}" for name, b in run.broken)
    return f"checkpointed {summary}"


def audit_checkpoint(today: date) -> str:
    """The daily worker job: checkpoint, tell the administrators, return a short summary."""
    run, told = checkpoint_send(today)
    return f"{run_summary(run)}; {told} administrators told"


JOBS: tuple[PeriodicJob, ...] = (PeriodicJob("audit_checkpoint", audit_checkpoint),)
