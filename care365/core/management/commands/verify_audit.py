"""`care365 verify_audit`: check the keyed chains of the audit trail and the access log, and the
chains against their signed checkpoints kept outside the database.

Checks (docs/privacy.md, "The log of every access"):
- each chain, entry by entry, with the audit keys (CARE365_AUDIT_KEYS, current and retired): an
  entry changed, removed, reordered or re-chained without the key breaks it;
- each line of the checkpoint file(s): a line whose signature does not hold was changed;
- each checkpointed entry is still there with the MAC it had: a chain cut or rewritten behind a
  checkpoint is found even if whoever did it held the key;
- the log tables still have their append-only triggers.

Exits 0 when everything holds; otherwise names each failure and exits 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from care365.core.append_only import triggers_missing
from care365.core.checkpoints import checkpoint_path, checkpoints_check, checkpoints_read
from care365.core.ledger import chain_verify, chained_models


class Command(BaseCommand):
    help = "Verify the audit trail's and the access log's chains and their checkpoints."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoints",
            action="append",
            type=Path,
            metavar="FILE",
            help="a checkpoint file to check against (repeat for copies from several machines); "
            "default: CARE365_AUDIT_CHECKPOINT_FILE",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        failures = 0

        def fail(message: str) -> None:
            nonlocal failures
            failures += 1
            self.stderr.write(message)

        for model in chained_models():
            checked, failure = chain_verify(model)
            name = model._meta.verbose_name_plural
            if failure is None:
                self.stdout.write(f"{model.CHAIN}: {checked} entries, chain holds ({name})")
            else:
                fail(f"{model.CHAIN}: BROKEN at entry {failure.seq}: {failure.why} ({name})")

        for table in triggers_missing(connection):
            fail(f"{table}: the append-only trigger is missing: the table can be changed")

        for path in options["checkpoints"] or [checkpoint_path()]:
            found = checkpoints_read(path)
            if found.missing:
                self.stdout.write(
                    f"{path}: no checkpoint file; the chains are checked without an anchor "
                    "outside the database"
                )
                continue
            for number, why in found.bad:
                fail(f"{path}:{number}: BAD CHECKPOINT: {why}")
            problems = checkpoints_check(found.points)
            for problem in problems:
                fail(
                    f"{problem.chain}: BROKEN at entry {problem.seq} behind a checkpoint: "
                    f"{problem.why} ({path})"
                )
            if not problems:
                for name in sorted({p.chain for p in found.points}):
                    last = found.last(name)
                    assert last is not None  # noqa: S101  # the chain has a checkpoint
                    self.stdout.write(
                        f"{name}: {sum(p.chain == name for p in found.points)} checkpoints hold, "
                        f"the last at entry {last.seq} ({last.at}, {path})"
                    )
        if failures:
            raise CommandError(
                f"{failures} failure(s): the logs or their checkpoints were tampered with"
            )
