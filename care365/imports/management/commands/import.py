"""`care365 import children|carers|users FILE --county CODE`: import a register from the shell.

    care365 import children 花名册.xlsx --county 331127 [--dry-run] [--skip-bad-rows] [--json]
                   [--mapping columns.json] [--user USERNAME] [--links FILE]
    care365 import template children|carers|users --out FILE

Without --user the import acts for the operator with the whole county in scope; with it, with
that user's scope (a director their village, ...). All or nothing unless --skip-bad-rows. An
import that was stopped (killed, the database went away) resumes when the same command is run
again on the same file. With --json the command prints exactly
{"rows": N, "created": n, "updated": n, "errors": [{"row": i, "column": "...", "code": "..."}]}.
It exits with 1 when any row is refused, 2 when the command itself is wrong. docs/imports.md.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from care365.accounts.imports import set_password_link, users_awaiting_password
from care365.accounts.models import User
from care365.areas.models import Area
from care365.core.imports.columns import header_key, message_for
from care365.core.imports.workbook import write_template
from care365.imports import services
from care365.imports.access import IMPORTERS, imports_county, may_import
from care365.imports.models import ImportKind, ImportMode, ImportRecord, ImportRowError

TEMPLATE_TITLES = {"children": "儿童花名册", "carers": "结对人员", "users": "用户"}


class Command(BaseCommand):
    help = "Import children, carers or users from an .xlsx or .csv file (or write a template)."
    # The system checks load every URLconf and API module: seconds at every start, for nothing
    # this command uses (`care365 check` runs them).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=[*ImportKind.values, "template"])
        parser.add_argument("target", help="the file to import, or (template) the kind")
        parser.add_argument("--county", help="the county's 6-digit code")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument("--skip-bad-rows", action="store_true", help="apply the good rows")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument("--mapping", help='JSON file: {"column key or header": "header"}')
        parser.add_argument("--user", help="import as this user (their scope)")
        parser.add_argument("--out", help="(template) where to write the .xlsx")
        parser.add_argument("--links", help="(users) write new users' set-password links here")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "template":
            self._template(options["target"], options["out"])
            return
        kind = options["what"]
        path = Path(options["target"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}", returncode=2)
        county = Area.objects.filter(code=options["county"] or "", level=Area.Level.COUNTY).first()
        if county is None:
            raise CommandError(
                "--county: give the code of a county of this installation", returncode=2
            )
        actor = self._actor(options["user"])
        if actor is not None:
            home = imports_county(actor)
            if home is None or home.pk != county.pk or not may_import(actor, kind):
                raise CommandError(
                    "--user: this user does not import this into this county", returncode=2
                )
        record = self._record(kind, county, actor, path, options)
        if options["mapping"]:
            self._map(record, Path(options["mapping"]))
        if record.state == ImportRecord.State.MAPPING:
            raise CommandError(
                "some required columns were not recognised: give --mapping FILE "
                "(docs/imports.md, 'Other layouts')",
                returncode=2,
            )
        bar = tqdm(
            total=record.rows_total,
            unit=" rows",
            disable=not sys.stderr.isatty(),
            desc="check" if options["dry_run"] else "import",
        )
        try:
            if options["dry_run"]:
                record = services.import_check(record, path, progress=bar.update)
            else:
                record = services.import_apply(record, path, progress=bar.update)
        except Exception:
            ImportRecord.objects.filter(pk=record.pk, state=ImportRecord.State.APPLYING).update(
                state=ImportRecord.State.FAILED
            )
            raise
        finally:
            bar.close()
        self._report(record, options)
        if kind == ImportKind.USERS and options["links"] and not options["dry_run"]:
            self._links(record, Path(options["links"]))
        if self._refused(record, options["dry_run"]):
            sys.exit(1)

    def _template(self, kind: str, out: str | None) -> None:
        if kind not in IMPORTERS or not out:
            raise CommandError("usage: care365 import template KIND --out FILE", returncode=2)
        write_template(IMPORTERS[kind].columns, Path(out), sheet_title=TEMPLATE_TITLES[kind])
        self.stdout.write(f"template written to {out}")

    def _actor(self, username: str | None) -> User | None:
        if not username:
            return None
        user = User.objects.select_related("area").filter(username=username).first()
        if user is None or not user.is_active:
            raise CommandError("--user: no active user of that name", returncode=2)
        return user

    def _record(
        self, kind: str, county: Area, actor: User | None, path: Path, options: dict[str, Any]
    ) -> ImportRecord:
        """A stopped import of the same file resumes; else a new one."""
        digest = services._digest(path)
        stopped = (
            ImportRecord.objects.filter(
                kind=kind,
                county=county,
                actor=actor,
                source=ImportRecord.Source.COMMAND,
                file_sha256=digest,
                state__in=[ImportRecord.State.APPLYING, ImportRecord.State.FAILED],
            )
            .order_by("-pk")
            .first()
        )
        if stopped is not None and not options["dry_run"]:
            if not options["json"]:
                self.stderr.write(
                    f"resuming import #{stopped.pk} after row {stopped.resume_after_row}"
                )
            return stopped
        mode = ImportMode.SKIP_BAD_ROWS if options["skip_bad_rows"] else ImportMode.ALL_OR_NOTHING
        try:
            return services.import_start(
                actor=actor,
                kind=kind,
                county=county,
                path=path,
                file_name=path.name,
                source=ImportRecord.Source.COMMAND,
                mode=mode,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages), returncode=2) from exc
        except PermissionDenied as exc:
            raise CommandError("this user may not import this", returncode=2) from exc

    def _map(self, record: ImportRecord, mapping_file: Path) -> None:
        """--mapping: {"column key or template header": "the file's header"}."""
        try:
            given = json.loads(mapping_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"--mapping: {exc}", returncode=2) from exc
        columns = IMPORTERS[record.kind].columns
        by_name = {header_key(t): c.key for c in columns for t in c.headers}
        header = [header_key(h) for h in record.header]
        mapping = dict(record.mapping)
        for column, title in given.items():
            key = by_name.get(header_key(str(column)))
            if key is None or header_key(str(title)) not in header:
                raise CommandError(f"--mapping: cannot match {column!r} to {title!r}", returncode=2)
            mapping[key] = header.index(header_key(str(title)))
        try:
            services.import_map(actor=record.actor, record=record, mapping=mapping)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages), returncode=2) from exc
        record.refresh_from_db()

    @staticmethod
    def _phase(record: ImportRecord, dry_run: bool) -> str:
        if dry_run or (record.state == ImportRecord.State.REFUSED and not record.rows_done):
            return ImportRowError.Phase.CHECK
        return ImportRowError.Phase.APPLY

    def _refused(self, record: ImportRecord, dry_run: bool) -> bool:
        phase = self._phase(record, dry_run)
        return ImportRowError.objects.filter(record=record, phase=phase).exists()

    def _report(self, record: ImportRecord, options: dict[str, Any]) -> None:
        phase = self._phase(record, options["dry_run"])
        errors = ImportRowError.objects.filter(record=record, phase=phase).order_by("row", "pk")
        rows = record.rows_total if record.rows_total is not None else record.rows_done
        if options["json"]:
            out = {
                "rows": rows,
                "created": record.created,
                "updated": record.updated,
                "errors": [
                    {"row": e.row, "column": e.column, "code": e.code}
                    for e in errors.iterator(chunk_size=2000)
                ],
            }
            self.stdout.write(json.dumps(out, ensure_ascii=False))
            return
        for e in errors[:200]:
            self.stdout.write(f"row {e.row}, {e.column}: {e.code}: {message_for(e.code, e.detail)}")
        count = errors.count()
        if count > 200:
            self.stdout.write(f"... and {count - 200} more errors")
        verb = "checked" if options["dry_run"] else record.get_state_display()
        self.stdout.write(
            f"import #{record.pk} {verb}: {rows} rows, {record.created} created, "
            f"{record.updated} updated, {count} errors"
        )

    def _links(self, record: ImportRecord, out: Path) -> None:
        """The new users' set-password links, in a file only its owner may read."""
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            for user in users_awaiting_password(record.pk):
                handle.write(f"{user.username},{set_password_link(user)}\n")
