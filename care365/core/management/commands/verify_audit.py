"""`care365 verify_audit`: check the hash chains of the audit trail and the access log.

Exits 0 when every chain holds; otherwise names the first entry that breaks each chain and exits 1.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from care365.core.ledger import chain_verify
from care365.core.models import ChainedEntry


def chained_models() -> list[type[ChainedEntry]]:
    return [m for m in apps.get_models() if issubclass(m, ChainedEntry)]


class Command(BaseCommand):
    help = "Verify the hash chains of the audit trail and the access log."

    def handle(self, *args: Any, **options: Any) -> None:
        broken = 0
        for model in chained_models():
            checked, failure = chain_verify(model)
            name = model._meta.verbose_name_plural
            if failure is None:
                self.stdout.write(f"{model.CHAIN}: {checked} entries, chain holds ({name})")
            else:
                broken += 1
                self.stderr.write(
                    f"{model.CHAIN}: BROKEN at entry {failure.seq}: {failure.why} ({name})"
                )
        if broken:
            raise CommandError(f"{broken} chain(s) broken: the log was tampered with")
