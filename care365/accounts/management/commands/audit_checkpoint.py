"""`care365 audit_checkpoint`: checkpoint the audit chains now (the worker does it daily).

Verifies each chain since its last checkpoint, appends the signed heads to the checkpoint file
(CARE365_AUDIT_CHECKPOINT_FILE) and sends them to the county administrators. Safe to run any
time: each run adds one line per chain. Exits 1 when a chain does not hold.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from care365.accounts.jobs import checkpoint_send, run_summary


class Command(BaseCommand):
    help = "Write a signed checkpoint of the audit chains and send it to county administrators."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            run, told = checkpoint_send(timezone.localdate())
        if run.broken:
            raise CommandError(f"{run_summary(run)}; {told} administrators told")
        self.stdout.write(f"{run_summary(run)} ({settings.AUDIT_CHECKPOINT_FILE}); {told} told")
