"""Every write of an import: starting one from a file, matching its columns, checking it (the
dry run) and applying it in chunks that resume after a stop.

"All or nothing" across chunks: the whole file is checked first, and nothing is written unless
every row passes. The rows are then written a chunk at a time, each chunk one transaction that
also moves the record's progress on; a stop (a killed process, a lost database connection) leaves
the chunks before it applied and nothing of the chunk it was in, and the import resumes after the
last applied row. A row that turns bad between the check and its chunk (somebody registered the
same child meanwhile) stops the import as refused at that chunk, with the chunks before it
applied; since importing updates rather than duplicates, importing the corrected file again
completes it. "Skip the rows with errors" writes each chunk's good rows and records the others.
"""

from __future__ import annotations

import copy
import hashlib
import pickle
import shutil
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from care365.accounts.models import User
from care365.areas.models import Area
from care365.core import crypto
from care365.core.audit import audit
from care365.core.imports.columns import (
    header_key,
    looks_like_header,
    missing_required,
    recognise,
)
from care365.core.imports.engine import (
    EarlierChunkFailedError,
    Importer,
    KeySeen,
    Row,
    chunk_waits_on,
    chunked,
    rows_of,
)
from care365.core.imports.tabular import (
    Table,
    UnreadableFile,
    estimate_rows,
    file_format,
    open_table,
)
from care365.core.maintenance import tables_analyze
from care365.imports.access import IMPORTERS, may_import, scope_for
from care365.imports.models import (
    ImportFileChunk,
    ImportMapping,
    ImportMode,
    ImportRecord,
    ImportRowError,
)

FILE_PIECE = 1 << 20  # bytes per stored piece of an uploaded file
# The tables an apply writes to get fresh statistics when it has written this many rows, then
# each time the number doubles.
ANALYZE_FIRST = 10_000

Progress = Callable[[int], object]
AfterChunk = Callable[[ImportRecord], None]


def unreadable_message(reason: str) -> str:
    if reason == "xls":
        return _("This is an old .xls file: save it as .xlsx (Excel 2007 or later) and upload it.")
    if reason == "empty":
        return _("The file has no rows.")
    return _("This file cannot be read: upload an .xlsx file or a .csv (UTF-8 or GB18030).")


def importer_for(record: ImportRecord) -> Importer:
    cls = IMPORTERS[record.kind]
    return cls(
        scope=scope_for(record.actor, record.county),
        actor=record.actor,  # type: ignore[arg-type]  # None: the operator's command
        import_id=record.pk,
        today=timezone.localdate(),
    )


def _table(record: ImportRecord, path: Path) -> Table:
    columns = IMPORTERS[record.kind].columns
    try:
        return open_table(path, is_header=looks_like_header(columns))
    except UnreadableFile as exc:
        raise ValidationError(unreadable_message(exc.reason), code="unreadable") from exc


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(FILE_PIECE), b""):
            sha.update(block)
    return sha.hexdigest()


def remembered_mapping(county: Area, kind: str) -> dict[str, str]:
    found = ImportMapping.objects.filter(county=county, kind=kind).first()
    return dict(found.headers) if found else {}


@transaction.atomic
def import_start(
    *,
    actor: User | None,
    kind: str,
    county: Area,
    path: Path,
    file_name: str,
    source: str,
    mode: str = ImportMode.ALL_OR_NOTHING,
    keep_file: bool = False,
) -> ImportRecord:
    """A new import of `path`: its header found and its columns recognised (the template's
    headers, their variants, and the county's remembered mapping). `keep_file` stores the file,
    encrypted, with the record (uploads: a worker elsewhere reads it from there).

    State "mapping" when a required column was not recognised, else "checking"."""
    if kind not in IMPORTERS:
        raise ValidationError({"kind": _("Choose what to import.")})
    if actor is not None and not may_import(actor, kind):
        raise PermissionDenied
    if county.level != Area.Level.COUNTY:
        raise ValidationError({"county": _("Choose a county.")})
    try:
        fmt = file_format(path)
    except UnreadableFile as exc:
        raise ValidationError({"file": unreadable_message(exc.reason)}, code="unreadable") from exc
    columns = IMPORTERS[kind].columns
    try:
        table = open_table(path, is_header=looks_like_header(columns))
    except UnreadableFile as exc:
        raise ValidationError({"file": unreadable_message(exc.reason)}, code="unreadable") from exc
    table.close()
    mapping = recognise(table.header, columns, remembered_mapping(county, kind))
    missing = missing_required(mapping, columns)
    record = ImportRecord.objects.create(
        kind=kind,
        county=county,
        actor=actor,
        source=source,
        mode=mode,
        state=ImportRecord.State.MAPPING if missing else ImportRecord.State.CHECKING,
        file_name=file_name[-255:],
        file_size=path.stat().st_size,
        file_sha256=_digest(path),
        file_format=fmt,
        header_row=table.header_row,
        header=table.header,
        mapping=mapping,
        chunk_size=settings.IMPORT_CHUNK_ROWS,
        # An estimate for the check's progress bar; the check counts the rows.
        rows_total=estimate_rows(path, table.header_row) if keep_file else None,
    )
    if keep_file:
        with path.open("rb") as handle:
            pieces = [
                ImportFileChunk(record=record, seq=seq, data=crypto.encrypt_bytes(block))
                for seq, block in enumerate(iter(lambda: handle.read(FILE_PIECE), b""))
            ]
        ImportFileChunk.objects.bulk_create(pieces, batch_size=8)
    audit(actor=actor, action="import_start", obj=record, note=f"{kind} {fmt}")
    return record


@transaction.atomic
def import_map(*, actor: User | None, record: ImportRecord, mapping: dict[str, int]) -> None:
    """Match the file's columns by hand ({column key: index in the header}); remembered for the
    county, so that its next file of the same layout needs no matching."""
    columns = IMPORTERS[record.kind].columns
    keys = {c.key for c in columns}
    width = len(record.header)
    clean = {k: i for k, i in mapping.items() if k in keys and 0 <= i < width}
    if len(set(clean.values())) != len(clean):
        raise ValidationError(_("Each column of the file can be matched once."), code="twice")
    missing = missing_required(clean, columns)
    if missing:
        raise ValidationError(
            _("Match the required columns: %(columns)s.")
            % {"columns": ", ".join(str(c.label) for c in missing)},
            code="missing",
        )
    record.mapping = clean
    record.state = ImportRecord.State.CHECKING
    record.save(update_fields=["mapping", "state"])
    remembered, _made = ImportMapping.objects.get_or_create(county=record.county, kind=record.kind)
    builtin = recognise(record.header, columns)
    for key, index in clean.items():
        if builtin.get(key) != index and record.header[index]:
            remembered.headers[header_key(record.header[index])] = key
    remembered.save()
    audit(actor=actor, action="import_map", obj=record, changes=sorted(clean))


def _clear(record: ImportRecord, phase: str) -> None:
    ImportRowError.objects.filter(record=record, phase=phase).delete()


def _errors_of(record: ImportRecord, rows: list[Row], phase: str) -> list[ImportRowError]:
    return [
        ImportRowError(
            record=record, phase=phase, row=e.row, column=e.column, code=e.code, detail=e.detail
        )
        for row in rows
        for e in row.errors
    ]


def import_check(
    record: ImportRecord,
    path: Path,
    *,
    progress: Progress | None = None,
    spool: IO[bytes] | None = None,
) -> ImportRecord:
    """The dry run: every row read and checked as applying would, nothing written but the
    record's counts and the rows' errors. With `spool`, the checked chunks are also written
    there (`_replay` reads them back) for an all-or-nothing apply that follows at once."""
    importer = importer_for(record)
    table = _table(record, path)
    _clear(record, ImportRowError.Phase.CHECK)
    ImportRecord.objects.filter(pk=record.pk).update(
        state=ImportRecord.State.CHECKING, rows_checked=0, rows_refused_check=0
    )
    seen = KeySeen()
    checked = refused = 0
    try:
        for chunk in chunked(
            rows_of(table, importer, record.mapping, seen=seen), record.chunk_size
        ):
            importer.check(chunk)
            bad = _errors_of(record, chunk, ImportRowError.Phase.CHECK)
            ImportRowError.objects.bulk_create(bad, batch_size=2000)
            if spool is not None and not bad:
                pickle.dump(chunk, spool, protocol=pickle.HIGHEST_PROTOCOL)
            checked += len(chunk)
            refused += sum(1 for row in chunk if not row.ok)
            ImportRecord.objects.filter(pk=record.pk).update(
                rows_checked=checked, rows_refused_check=refused
            )
            if progress is not None:
                progress(len(chunk))
    finally:
        table.close()
    ImportRecord.objects.filter(pk=record.pk).update(
        state=ImportRecord.State.CHECKED, rows_total=checked, rows_checked=checked
    )
    record.refresh_from_db()
    return record


def import_apply(
    record: ImportRecord,
    path: Path,
    *,
    progress: Progress | None = None,
    after_chunk: AfterChunk | None = None,
) -> ImportRecord:
    """Apply the file in chunks, from where the import stopped if it did (module docstring).
    All or nothing: a check of the whole file comes first unless the import is resuming.

    An importer that can check a checked row's database facts again on its own (`replayable`:
    the children's) does not read the file twice: the check keeps its checked chunks in a
    private temporary file, and the apply reads them back and checks only what may have changed
    in the database since (`Importer.recheck`). Memory holds one chunk either way."""
    # Where to resume, read once the record is free: a run killed while a chunk's commit was in
    # flight holds the record (the chunk wrote its progress) until that commit lands or fails.
    with transaction.atomic():
        ImportRecord.objects.select_for_update().filter(pk=record.pk).values_list("pk").get()
        record.refresh_from_db()
    if record.state in (ImportRecord.State.DONE, ImportRecord.State.DISCARDED):
        return record
    resuming = record.resume_after_row > 0
    replay = IMPORTERS[record.kind].replayable
    if record.mode == ImportMode.ALL_OR_NOTHING and not resuming:
        with tempfile.TemporaryFile(prefix="care365-import-") as spool:
            record = import_check(record, path, spool=spool if replay else None)
            if record.rows_refused_check:
                ImportRecord.objects.filter(pk=record.pk).update(
                    state=ImportRecord.State.REFUSED, finished_at=timezone.now()
                )
                record.refresh_from_db()
                return record
            if replay:
                spool.seek(0)
                return _apply_chunks(
                    record, _replay(spool), recheck=True, progress=progress, after_chunk=after_chunk
                )
    importer = importer_for(record)
    table = _table(record, path)
    try:
        rows = rows_of(
            table, importer, record.mapping, seen=KeySeen(), start_after=record.resume_after_row
        )
        return _apply_chunks(
            record,
            chunked(rows, record.chunk_size),
            importer=importer,
            progress=progress,
            after_chunk=after_chunk,
        )
    finally:
        table.close()


def _replay(spool: IO[bytes]) -> Iterator[list[Row]]:
    """The chunks `import_check` kept, in order. The file is this process's own, unnamed."""
    while True:
        try:
            yield pickle.load(spool)  # noqa: S301  # written by import_check just before
        except EOFError:
            return


def _overlapping(importer: Importer) -> bool:
    """Whether the chunks are applied two at a time (`_Chunk`): for an importer that allows it,
    on PostgreSQL, and not inside a transaction of the caller's (another connection would not
    see what it holds)."""
    pool = connection.settings_dict.get("OPTIONS", {}).get("pool")
    return (
        importer.overlaps
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and settings.IMPORT_OVERLAP
        # Three connections at once: this thread's and two chunks'.
        and (not isinstance(pool, dict) or pool.get("max_size", 3) >= 3)
    )


def _apply_chunks(
    record: ImportRecord,
    chunks: Iterator[list[Row]],
    *,
    importer: Importer | None = None,
    recheck: bool = False,
    progress: Progress | None = None,
    after_chunk: AfterChunk | None = None,
) -> ImportRecord:
    """Each chunk checked (`recheck`: only its database facts again) and applied in its own
    transaction; all or nothing stops, refused, at a chunk with a row that does not pass.

    On PostgreSQL the next chunk is read, checked and begun while the one before it commits
    (`_Chunk`): the import's own work and the database's overlap. Chunks still commit in the
    file's order, and a chunk commits only if every chunk before it did, so a stop leaves the
    chunks before it applied and nothing after, as one at a time would."""
    importer = importer or importer_for(record)
    ImportRecord.objects.filter(pk=record.pk).update(
        state=ImportRecord.State.APPLYING, started_at=record.started_at or timezone.now()
    )
    overlap = _overlapping(importer)
    stopped = False
    written, analyze_at = 0, ANALYZE_FIRST

    def landed(chunk: _Chunk) -> bool:
        """The chunk's end seen to (it raises what it raised): False if it stopped the import."""
        nonlocal written, analyze_at
        chunk.land()
        if chunk.refused:
            return False
        written += chunk.good
        if written >= analyze_at:
            # Planned on statistics from before the import, its look-ups of the rows it wrote
            # (possible duplicates, registered ID numbers) would scan the whole table.
            tables_analyze(importer.grows)
            analyze_at *= 2
        if progress is not None:
            progress(len(chunk.rows))
        if after_chunk is not None:
            record.refresh_from_db()
            after_chunk(record)
        return True

    flying: deque[_Chunk] = deque()
    try:
        for rows in chunks:
            chunk = _Chunk(
                record,
                copy.copy(importer) if overlap else importer,
                rows,
                recheck=recheck,
                after=flying[-1] if flying else None,
            )
            flying.append(chunk)
            if overlap:
                chunk.start()
            else:
                chunk.run()
            # One chunk stays in flight beside the next when they overlap.
            while len(flying) > (1 if overlap else 0) and not stopped:
                stopped = not landed(flying.popleft())
            if stopped:
                break
        while flying and not stopped:
            stopped = not landed(flying.popleft())
    finally:
        for chunk in flying:  # stopped or failed: those after it roll back; none is left running
            chunk.join()
    if not stopped:
        _finish(record)
    record.refresh_from_db()
    return record


# A chunk's lock in its transaction, (import, chunk): the next chunk waits for it
# (`_Chunk.wait_for_earlier`). The two-key form, which nothing else in the project uses.
_TURN = "SELECT pg_advisory_xact_lock(%s, %s)"


class _Chunk:
    """One chunk, one transaction: its (re)check, its good rows, its errors and the progress
    together; run here (`run`) or in a thread with a connection of its own (`start`).

    A chunk that overlaps the one before it waits for that one to commit before it reads what
    earlier chunks wrote (the importer says where: `earlier_chunks_committed`) and before it
    records its progress; if that one did not commit, it rolls back (`EarlierChunkFailedError`)."""

    def __init__(
        self,
        record: ImportRecord,
        importer: Importer,
        rows: list[Row],
        *,
        recheck: bool,
        after: _Chunk | None,
    ) -> None:
        self.record = record
        self.importer = importer
        self.rows = rows
        self.recheck = recheck
        self.after = after
        self.good = 0
        self.refused = False  # all or nothing stopped here
        self.committed = False
        self.error: BaseException | None = None
        self.seq: int = after.seq + 1 if after is not None else 0
        self.turn_taken = threading.Event()
        self.done = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(
            target=self._in_thread, name=f"import-{self.record.pk}", daemon=True
        )
        self.thread.start()

    def _in_thread(self) -> None:
        chunk_waits_on(self.wait_for_earlier)
        try:
            self.run()
        except BaseException as exc:  # handed to the main thread by land()
            self.error = exc
        finally:
            chunk_waits_on(None)
            connection.close()  # this thread's own

    def wait_for_earlier(self) -> None:
        """Wait for the chunk before this one to end; raise if it did not commit. In a thread
        the wait is for that chunk's lock, in the database, so that PostgreSQL sees it: a
        third transaction waiting for this chunk while holding what that one needs is a
        deadlock it can find and break (one side fails; the import resumes), not a hang."""
        earlier = self.after
        if earlier is None:
            return
        if self.thread is not None:
            earlier.turn_taken.wait()  # not before it holds its lock, which never waits
            with connection.cursor() as cursor:
                cursor.execute(_TURN, [self.record.pk, earlier.seq])
        earlier.done.wait()
        if not earlier.committed:
            raise EarlierChunkFailedError

    def _take_turn(self) -> None:
        """In a thread, the chunk's own lock (`_TURN`), held to the end of its transaction."""
        if self.thread is not None:
            with connection.cursor() as cursor:
                cursor.execute(_TURN, [self.record.pk, self.seq])
        self.turn_taken.set()

    def run(self) -> None:
        record, importer, chunk = self.record, self.importer, self.rows
        try:
            with transaction.atomic():
                self._take_turn()
                if self.recheck:
                    importer.recheck(chunk)
                else:
                    importer.check(chunk)
                good = [row for row in chunk if row.ok]
                bad = len(chunk) - len(good)
                if bad and record.mode == ImportMode.ALL_OR_NOTHING:
                    self.wait_for_earlier()
                    ImportRowError.objects.bulk_create(
                        _errors_of(record, chunk, ImportRowError.Phase.APPLY)
                    )
                    ImportRecord.objects.filter(pk=record.pk).update(
                        state=ImportRecord.State.REFUSED, finished_at=timezone.now()
                    )
                    self.refused = True
                    return
                if self.thread is not None:
                    # Foreign keys checked as each row is written rather than at the commit:
                    # the same work, done while the chunk before this one may still be
                    # committing, and the commit that follows the wait is short.
                    with connection.cursor() as cursor:
                        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                applied = importer.apply(good) if good else None
                self.wait_for_earlier()
                ImportRowError.objects.bulk_create(
                    _errors_of(record, chunk, ImportRowError.Phase.APPLY), batch_size=2000
                )
                ImportRecord.objects.filter(pk=record.pk).update(
                    resume_after_row=chunk[-1].number,
                    rows_done=F("rows_done") + len(chunk),
                    chunks_done=F("chunks_done") + 1,
                    created=F("created") + (applied.created if applied else 0),
                    updated=F("updated") + (applied.updated if applied else 0),
                    refused=F("refused") + bad,
                )
            self.good = len(good)
            self.committed = True
        finally:
            self.turn_taken.set()
            self.done.set()
            # Each chunk would otherwise hold the one before it, and so every chunk's rows.
            self.after = None

    def join(self) -> None:
        if self.thread is not None:
            self.thread.join()

    def land(self) -> None:
        """Wait for the chunk to end; raise what it raised (an earlier chunk's failure has been
        raised already, by that chunk)."""
        self.join()
        if self.error is not None and not isinstance(self.error, EarlierChunkFailedError):
            raise self.error


@transaction.atomic
def _finish(record: ImportRecord) -> None:
    record = ImportRecord.objects.select_for_update().get(pk=record.pk)
    record.state = ImportRecord.State.DONE
    record.finished_at = timezone.now()
    record.rows_total = record.rows_done
    record.save(update_fields=["state", "finished_at", "rows_total"])
    if not record.refused:  # else kept for the error report, until the import is discarded
        ImportFileChunk.objects.filter(record=record).delete()
    audit(
        actor=record.actor,
        action="import_apply",
        obj=record,
        note=f"{record.kind}: {record.created} created, {record.updated} updated, "
        f"{record.refused} refused",
    )


@transaction.atomic
def import_queue(*, actor: User, record: ImportRecord, job: str, mode: str | None = None) -> None:
    """Ask a worker to check or apply the import (the page's buttons)."""
    record = ImportRecord.objects.select_for_update().get(pk=record.pk)
    if record.job:
        return  # already queued or running
    allowed = {
        ImportRecord.Job.CHECK: {ImportRecord.State.CHECKING, ImportRecord.State.CHECKED},
        ImportRecord.Job.APPLY: {
            ImportRecord.State.CHECKED,
            ImportRecord.State.FAILED,
            ImportRecord.State.APPLYING,
        },
    }
    if record.state not in allowed.get(ImportRecord.Job(job), set()):
        raise ValidationError(_("This import cannot do that now."), code="state")
    if mode is not None:
        if mode not in ImportMode.values:
            raise ValidationError({"mode": _("Choose how to apply.")})
        if record.resume_after_row == 0:
            record.mode = mode
    record.job = job
    record.lease_until = None
    record.failure = ""
    if job == ImportRecord.Job.APPLY:
        record.state = ImportRecord.State.APPLYING
    record.save(update_fields=["job", "lease_until", "failure", "mode", "state"])
    audit(actor=actor, action=f"import_{job}_queue", obj=record, note=record.mode)


@transaction.atomic
def import_discard(*, actor: User, record: ImportRecord) -> None:
    """Drop an import that was not applied (its stored file and errors go with it)."""
    record = ImportRecord.objects.select_for_update().get(pk=record.pk)
    if record.state == ImportRecord.State.APPLYING or record.job:
        raise ValidationError(_("This import cannot be discarded now."), code="state")
    if record.state != ImportRecord.State.DONE:  # an applied import stays applied
        record.state = ImportRecord.State.DISCARDED
    record.save(update_fields=["state"])
    ImportFileChunk.objects.filter(record=record).delete()
    ImportRowError.objects.filter(record=record).delete()
    audit(actor=actor, action="import_discard", obj=record)


@contextmanager
def stored_file(record: ImportRecord) -> Iterator[Path]:
    """The uploaded file, decrypted into a private temporary directory for as long as needed."""
    folder = Path(tempfile.mkdtemp(prefix="care365-import-"))
    path = folder / f"import.{record.file_format or 'bin'}"
    try:
        with path.open("wb") as handle:
            pieces = ImportFileChunk.objects.filter(record=record).order_by("seq")
            for data in pieces.values_list("data", flat=True).iterator(chunk_size=4):
                handle.write(crypto.decrypt_bytes(bytes(data)))
        path.chmod(0o600)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def errors_by_row(record: ImportRecord, phase: str) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {}
    for error in ImportRowError.objects.filter(record=record, phase=phase).order_by("row", "pk"):
        found.setdefault(error.row, []).append(error)
    return found


def open_stored_table(record: ImportRecord, path: Path) -> Table:
    """The table of an import's file (for its error report)."""
    return _table(record, path)
