"""Chunks applied two at a time (on PostgreSQL, a thread and a connection each): the import
writes what one chunk at a time writes, chunks commit in the file's order, and a chunk that
fails or is refused takes the one after it down with it, so that an import resumes after the
last chunk it applied. Transactional: each chunk's connection must see what the test wrote. On
SQLite the chunks run one at a time and the same assertions hold."""

from __future__ import annotations

import gc
import threading
import time
import weakref
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from care365.care.models import PlanDue, PlanKind
from care365.care.selectors.plans import PLAN_FIELDS, plan_status
from care365.core.imports.columns import ErrorCode
from care365.core.ledger import chain_verify
from care365.core.models import AuditEvent
from care365.imports import services
from care365.imports.models import ImportRecord
from care365.imports.tests.helpers import CHILD_HEADER, child_id, child_row, write_csv
from care365.registry.imports import ChildImporter
from care365.registry.models import Child, DuplicateFlag
from conftest import Personas

pytestmark = pytest.mark.django_db(transaction=True)

BORN = date(2015, 3, 9)
OVERLAPS = connection.vendor == "postgresql"


class BoomError(Exception):
    pass


def _file(tmp_path: Path, count: int = 10) -> Path:
    rows = [child_row(f"孩子{i}", "女", BORN, 100 + 2 * i) for i in range(count)]
    # Rows 4 and 5 of the file (the last of chunk 1, the first of chunk 2) alike but for the ID
    # number: possible duplicates of each other across the chunks' boundary.
    rows[2][0] = rows[3][0] = "李同名"
    return write_csv(tmp_path / "register.csv", CHILD_HEADER, rows)


def _start(personas: Personas, path: Path, mode: str = "all") -> ImportRecord:
    return services.import_start(
        actor=None, kind="children", county=personas.county, path=path,
        file_name=path.name, source=ImportRecord.Source.COMMAND, mode=mode,
    )  # fmt: skip


def _threads(monkeypatch: Any) -> list[str]:
    """The names of the threads chunks were applied in."""
    started: list[str] = []
    real = services._Chunk.start

    def start(self: services._Chunk) -> None:
        real(self)
        assert self.thread is not None
        started.append(self.thread.name)

    monkeypatch.setattr(services._Chunk, "start", start)
    return started


def _rows_of(rows: list[Any]) -> set[int]:
    return {row.number for row in rows}


def _imported() -> int:
    return Child.objects.filter(Q(name__startswith="孩子") | Q(name="李同名")).count()


def test_overlapping_chunks_write_what_one_chunk_at_a_time_writes(
    personas: Personas, tmp_path: Path, settings: Any, monkeypatch: Any
) -> None:
    settings.IMPORT_CHUNK_ROWS = 3
    started = _threads(monkeypatch)
    path = _file(tmp_path)
    record = services.import_apply(_start(personas, path), path)
    assert len(started) == (4 if OVERLAPS else 0)
    assert (record.state, record.rows_done, record.chunks_done) == ("done", 10, 4)
    assert (record.created, record.updated, record.refused) == (10, 0, 0)
    assert _imported() == 10
    # Chunk 2 saw chunk 1's child, as it would one chunk at a time: the later is flagged. (The
    # two are told apart by ID number: chunks in flight together take their ids as they come.)
    by_number = {c.id_number: c.pk for c in Child.objects.filter(name="李同名")}
    first, second = by_number[child_id(BORN, 104)], by_number[child_id(BORN, 106)]
    assert set(DuplicateFlag.objects.values_list("child_id", "other_id")) == {(second, first)}
    assert AuditEvent.objects.filter(action="child_import").count() == 10
    assert chain_verify(AuditEvent)[1] is None
    # Every child's next-due dates as the rule works them out.
    children = Child.objects.filter(exited_on__isnull=True).only(*PLAN_FIELDS)
    expected = {
        (i.child.pk, i.kind, i.due_on)
        for i in plan_status(children, PlanKind.values, timezone.localdate())
    }
    assert set(PlanDue.objects.values_list("child_id", "kind", "due_on")) == expected


def test_chunks_are_let_go_as_they_land(
    personas: Personas, tmp_path: Path, settings: Any, monkeypatch: Any
) -> None:
    """Memory holds the chunks in flight, not every chunk of the file (a chunk that kept the one
    before it would keep them all: 2.7 GB for a file of 1,000,000 rows)."""
    settings.IMPORT_CHUNK_ROWS = 1
    chunks: list[weakref.ref[services._Chunk]] = []
    real_init = services._Chunk.__init__

    def init(self: services._Chunk, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        chunks.append(weakref.ref(self))

    alive: list[int] = []

    def after_chunk(_record: ImportRecord) -> None:
        gc.collect()
        alive.append(sum(1 for ref in chunks if ref() is not None))

    monkeypatch.setattr(services._Chunk, "__init__", init)
    path = _file(tmp_path)
    record = services.import_apply(_start(personas, path), path, after_chunk=after_chunk)
    assert record.state == "done" and len(chunks) == 10
    assert max(alive) <= 3, alive


def test_a_chunk_that_fails_rolls_back_the_one_begun_after_it(
    personas: Personas, tmp_path: Path, settings: Any, monkeypatch: Any
) -> None:
    """Chunk 3 fails late, while chunk 4 has written its children: chunks 1 and 2 stay, 3 and
    4 leave nothing, and the import resumes after row 7."""
    settings.IMPORT_CHUNK_ROWS = 3
    path = _file(tmp_path)
    real_create, real_apply = ChildImporter._create, ChildImporter.apply
    created: list[set[int]] = []
    lock = threading.Lock()

    def create(self: ChildImporter, rows: list[Any], now: Any) -> Any:
        with lock:
            created.append(_rows_of(rows))
        return real_create(self, rows, now)

    waiting: list[int] = []

    def apply(self: ChildImporter, rows: list[Any]) -> Any:
        if 8 in _rows_of(rows):  # chunk 3: rows 8 to 10 (the header is row 1)
            real_create(self, rows, timezone.now())
            time.sleep(0.5)  # long enough for chunk 4 to be written beside it
            if OVERLAPS:
                # Chunk 4 waits for this one in the database, where a deadlock can be seen.
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                        "AND NOT granted AND database = "
                        "(SELECT oid FROM pg_database WHERE datname = current_database())"
                    )
                    waiting.append(cursor.fetchone()[0])
            raise BoomError
        return real_apply(self, rows)

    monkeypatch.setattr(ChildImporter, "_create", create)
    monkeypatch.setattr(ChildImporter, "apply", apply)
    record = _start(personas, path, mode="skip")
    with pytest.raises(BoomError):
        services.import_apply(record, path)
    if OVERLAPS:
        assert {11} in created, "chunk 4 was written beside chunk 3"
        assert waiting == [1], "chunk 4 waited for chunk 3's lock"
    record.refresh_from_db()
    assert (record.state, record.rows_done, record.resume_after_row) == ("applying", 6, 7)
    assert _imported() == 6
    assert AuditEvent.objects.filter(action="child_import").count() == 6
    monkeypatch.undo()
    record = services.import_apply(record, path)
    assert (record.state, record.rows_done, record.created) == ("done", 10, 10)
    assert _imported() == 10
    assert AuditEvent.objects.filter(action="child_import").count() == 10
    assert chain_verify(AuditEvent)[1] is None


@pytest.mark.skipif(not OVERLAPS, reason="SQLite: one writer, a commit is whole or absent")
def test_a_run_resumed_while_the_last_commit_is_in_flight_waits_for_it(
    personas: Personas, tmp_path: Path, settings: Any, monkeypatch: Any
) -> None:
    """The command run again at once after a kill: the killed run's last transaction (here, the
    rest of the import) is still committing. The new run waits for it and finds the import
    done, rather than reading where to resume from before that commit and applying its
    chunks again."""
    settings.IMPORT_CHUNK_ROWS = 3
    path = _file(tmp_path)
    real_apply = ChildImporter.apply

    def apply(self: ChildImporter, rows: list[Any]) -> Any:
        if 5 in _rows_of(rows):  # chunk 2: rows 5 to 7
            raise BoomError
        return real_apply(self, rows)

    monkeypatch.setattr(ChildImporter, "apply", apply)
    record = _start(personas, path, mode="skip")
    with pytest.raises(BoomError):
        services.import_apply(record, path)
    monkeypatch.undo()
    record.refresh_from_db()
    assert (record.state, record.resume_after_row, _imported()) == ("applying", 4, 3)

    written, failures = threading.Event(), []

    def killed_run() -> None:
        try:
            with transaction.atomic():  # its commit, in flight while the next run starts
                services.import_apply(ImportRecord.objects.get(pk=record.pk), path)
                written.set()
                time.sleep(0.5)
        except BaseException as exc:
            failures.append(exc)
            written.set()
        finally:
            connection.close()

    thread = threading.Thread(target=killed_run)
    thread.start()
    assert written.wait(60)
    record = services.import_apply(ImportRecord.objects.get(pk=record.pk), path)
    thread.join()
    assert failures == []
    assert (record.state, record.rows_done, record.created) == ("done", 10, 10)
    assert _imported() == 10
    assert AuditEvent.objects.filter(action="child_import").count() == 10


def test_a_chunk_refused_on_its_recheck_rolls_back_the_one_begun_after_it(
    personas: Personas, tmp_path: Path, settings: Any, monkeypatch: Any
) -> None:
    """All or nothing: row 9's child turns out registered meanwhile when chunk 3 is applied.
    The import stops there, refused, with chunks 1 and 2 applied and nothing of chunk 4."""
    settings.IMPORT_CHUNK_ROWS = 3
    path = _file(tmp_path)
    real_recheck = ChildImporter.recheck
    rechecked: list[set[int]] = []
    lock = threading.Lock()

    def recheck(self: ChildImporter, rows: list[Any]) -> None:
        real_recheck(self, rows)
        with lock:
            rechecked.append(_rows_of(rows))
        for row in rows:
            if row.number == 9:
                row.refuse("id_number", ErrorCode.DUPLICATE)

    monkeypatch.setattr(ChildImporter, "recheck", recheck)
    record = services.import_apply(_start(personas, path), path)
    assert record.state == "refused"
    assert (record.rows_done, record.created) == (6, 6)
    assert set(record.errors.values_list("phase", "row", "code")) == {("apply", 9, "duplicate")}
    if OVERLAPS:
        assert {11} in rechecked, "chunk 4 was begun beside chunk 3"
    assert _imported() == 6
    assert AuditEvent.objects.filter(action="child_import").count() == 6
