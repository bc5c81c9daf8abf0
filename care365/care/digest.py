"""The daily digest: each morning every user with something due gets one reminder, in the app (a
notice on their home page) and by email, never twice for the same day.

`digest_send_all(today)` is a daily worker job (care365/worker/loop.py). It reads each user's
digest with
daily care's `digest_build` (only what the user may see), writes the notice, and queues the email
for after the job's transaction commits: a run that fails and is rolled back sends nothing, and
the notice of the day is the mark that the user was reminded, so a second run the same day (or a
catch-up run) skips them. Like protection's emails, the message names no child: it counts, and
lists kinds, days and villages with the child's number, and links to the due list.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import date
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from care365.accounts.models import User
from care365.care.jobs import Digest, digest_build
from care365.core.models import Notice

logger = logging.getLogger("care365.digest")

DIGEST_KIND = "care_digest"
MAX_LINES = 30  # an email lists at most this many items of each part; the due list has all


@dataclass(frozen=True)
class DigestMail:
    user_id: int
    day: date
    to: str
    subject: str
    body: str

    @property
    def key(self) -> str:
        """One digest per user per day: the Message-ID lets a mail server drop a duplicate."""
        return f"care-digest-{self.user_id}-{self.day.isoformat()}"


def _mail(user: User, digest: Digest) -> DigestMail:
    """The email in the installation's language (a worker has no reader's language)."""
    link = f"{settings.PUBLIC_URL}{reverse('care:care-due')}" if settings.PUBLIC_URL else ""
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "digest": digest,
            "counts": digest.counts,
            "overdue": digest.overdue[:MAX_LINES],
            "due_today": digest.due_today[:MAX_LINES],
            "upcoming": digest.upcoming[:MAX_LINES],
            "tasks": digest.tasks[:MAX_LINES],
            "wishes": digest.wishes_to_deliver[:MAX_LINES],
            "link": link,
        }
        subject = render_to_string("care/digest_subject.txt", context).strip()
        body = render_to_string("care/digest_email.txt", context)
    return DigestMail(
        user_id=user.pk, day=digest.today, to=user.email, subject=subject[:200], body=body
    )


def mail_send(mail: DigestMail) -> bool:
    """Send one digest email (after commit). A mail server that is down costs the email, not the
    reminder: the notice is already on the user's home page."""
    message = EmailMessage(
        subject=mail.subject,
        body=mail.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[mail.to],
        headers={"Message-ID": f"<{mail.key}@care365>", "X-Care365-Idempotency-Key": mail.key},
    )
    try:
        message.send(fail_silently=False)
    except (OSError, smtplib.SMTPException) as exc:
        logger.warning("digest email to user %s failed: %s", mail.user_id, type(exc).__name__)
        return False
    return True


def digest_send_all(today: date) -> str:
    """Remind every active user with a role of what is due, once per user per day."""
    day = today.isoformat()
    reminded = set(
        Notice.objects.filter(kind=DIGEST_KIND, params__day=day).values_list(
            "recipient_id", flat=True
        )
    )
    users = (
        User.objects.filter(is_active=True)
        .exclude(role="")
        .exclude(pk__in=reminded)
        .select_related("area", "carer")
        .order_by("pk")
    )
    notices = emails = 0
    for user in users.iterator(chunk_size=200):
        digest = digest_build(user, today)
        if digest.is_empty:
            continue
        Notice.objects.create(
            recipient=user,
            kind=DIGEST_KIND,
            params={"day": day, **digest.counts},
            link=reverse("care:care-due"),
        )
        notices += 1
        if user.email:
            transaction.on_commit(partial(mail_send, _mail(user, digest)))
            emails += 1
    return f"{notices} users reminded, {emails} by email"
