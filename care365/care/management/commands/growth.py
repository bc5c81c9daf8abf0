"""`care365 growth`: WHO z-scores for one measurement, or for every row of a CSV file.

    care365 growth --sex F --age-months 130.5 --height-cm 140.2 --weight-kg 33.1
    care365 growth --sex M --age-days 1200 --height-cm 95.0 --weight-kg 14.2 [--position height]
    care365 growth --csv in.csv --out out.csv

The calculator is the pure core in care365/care/growth/; this command only reads and writes.
docs/growth-and-screening.md describes the method, the columns and the output.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from care365.care import growth

OUTPUT_COLUMNS = ("zhfa", "zwfa", "zbfa", "bmi")
_POSITIONS = {
    "length": growth.Position.LENGTH,
    "l": growth.Position.LENGTH,
    "height": growth.Position.HEIGHT,
    "h": growth.Position.HEIGHT,
}
_OEDEMA = {"y": True, "yes": True, "n": False, "no": False}
_MAX_REPORTED_ERRORS = 20


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _number(row: dict[str, str], column: str) -> float | None:
    text = row.get(column, "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise growth.GrowthInputError(f"{column} {text!r} is not a number") from None


def _assess_row(row: dict[str, str]) -> growth.Assessment:
    position_text = row.get("position", "").strip().lower()
    oedema_text = row.get("oedema", "").strip().lower()
    if position_text and position_text not in _POSITIONS:
        raise growth.GrowthInputError(f"position must be length or height, not {position_text!r}")
    if oedema_text and oedema_text not in _OEDEMA:
        raise growth.GrowthInputError(f"oedema must be y or n, not {oedema_text!r}")
    return growth.assess(
        sex=row.get("sex", "").strip(),
        age_months=_number(row, "age_months"),
        age_days=_number(row, "age_days"),
        height_cm=_number(row, "height_cm"),
        weight_kg=_number(row, "weight_kg"),
        position=_POSITIONS.get(position_text),
        oedema=_OEDEMA.get(oedema_text, False),
    )


def _read_rows(path: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the records of a CSV file, each record with the line it ends on."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise CommandError(f"{path} is not UTF-8 text: {error}") from error
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        records = [(reader.line_num, record) for record in reader]
    except csv.Error as error:
        raise CommandError(f"{path}, line {reader.line_num}: {error}") from error
    if not records:
        raise CommandError(f"{path} is empty: it needs a header row")
    return records[0][1], records[1:]


def assess_csv(in_path: str) -> tuple[list[str], list[list[str]]]:
    """Read the CSV file `in_path` ("-": standard input) and return the output header and rows:
    the input's own columns and values, then zhfa, zwfa, zbfa and bmi (a column of that name
    already present is filled in place). Any bad row raises CommandError naming its line."""
    header, records = _read_rows(in_path)
    names = [name.strip().lower() for name in header]
    missing = [c for c in ("sex", "height_cm", "weight_kg") if c not in names]
    if "age_months" not in names and "age_days" not in names:
        missing.append("age_months or age_days")
    if missing:
        raise CommandError(f"{in_path}: missing column(s): {', '.join(missing)}")
    out_header = list(header) + [c for c in OUTPUT_COLUMNS if c not in names]
    out_names = names + [c for c in OUTPUT_COLUMNS if c not in names]
    errors: list[str] = []
    out_rows: list[list[str]] = []
    for line, record in records:
        if not any(field.strip() for field in record):
            continue  # a blank line is not a measurement
        if len(record) != len(header):
            errors.append(f"line {line}: {len(record)} fields, the header has {len(header)}")
            continue
        try:
            assessment = _assess_row(dict(zip(names, record, strict=True)))
        except growth.GrowthInputError as error:
            errors.append(f"line {line}: {error}")
            continue
        values = dict(zip(OUTPUT_COLUMNS, _output_cells(assessment), strict=True))
        out = list(record) + [""] * (len(out_names) - len(record))
        for i, name in enumerate(out_names):
            if name in values:
                out[i] = values[name]
        out_rows.append(out)
    if errors:
        shown = errors[:_MAX_REPORTED_ERRORS]
        more = len(errors) - len(shown)
        detail = "\n  ".join(shown + ([f"... and {more} more"] if more else []))
        raise CommandError(f"{in_path}: {len(errors)} bad row(s), nothing written:\n  {detail}")
    return out_header, out_rows


def _output_cells(a: growth.Assessment) -> tuple[str, str, str, str]:
    return (_cell(a.zhfa), _cell(a.zwfa), _cell(a.zbfa), _cell(a.bmi))


def _csv_text(header: list[str], rows: Iterable[list[str]]) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to a temporary file beside `path`, then rename it over `path`: a reader (or
    a crash) never sees half a file, and a failure leaves any earlier file as it was."""
    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise CommandError(f"cannot write {path}: {error.strerror or error}") from error
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise CommandError(f"cannot write {path}: {error.strerror or error}") from error
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class Command(BaseCommand):
    help = (
        "WHO height-, weight- and BMI-for-age z-scores (0-19 years) for one measurement, "
        "printed as JSON, or for each row of a CSV file (docs/growth-and-screening.md)."
    )
    requires_system_checks: list[str] = []  # a calculator: it needs no database or app state

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sex", help="M or F")
        age = parser.add_mutually_exclusive_group()
        age.add_argument("--age-months", type=float, metavar="MONTHS", help="age in months")
        age.add_argument("--age-days", type=float, metavar="DAYS", help="age in days")
        parser.add_argument("--height-cm", type=float, metavar="CM", help="length or height")
        parser.add_argument("--weight-kg", type=float, metavar="KG", help="weight")
        parser.add_argument(
            "--position",
            choices=["length", "height"],
            help="under 5 years: measured lying (length) or standing (height); "
            "default: as the age calls for (lying before 2 years)",
        )
        parser.add_argument(
            "--oedema",
            action="store_true",
            help="bilateral pitting oedema: weight-based z-scores are left empty",
        )
        parser.add_argument(
            "--csv", metavar="FILE", help="CSV file of measurements ('-' for standard input)"
        )
        parser.add_argument(
            "--out", metavar="FILE", help="with --csv: output CSV file (default: standard output)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        single = ("sex", "age_months", "age_days", "height_cm", "weight_kg", "position")
        if options["csv"]:
            given = [f"--{name.replace('_', '-')}" for name in single if options[name] is not None]
            given += ["--oedema"] if options["oedema"] else []
            if given:
                raise CommandError(
                    f"--csv reads every measurement from the file; drop {' '.join(given)}"
                )
            self.handle_csv(options["csv"], options["out"])
            return
        if options["out"]:
            raise CommandError("--out goes with --csv")
        if not options["sex"]:
            raise CommandError("give --sex M|F with --age-months or --age-days, or --csv FILE")
        try:
            assessment = growth.assess(
                sex=options["sex"],
                age_months=options["age_months"],
                age_days=options["age_days"],
                height_cm=options["height_cm"],
                weight_kg=options["weight_kg"],
                position=options["position"],
                oedema=options["oedema"],
            )
        except growth.GrowthInputError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(json.dumps(assessment.as_dict(), ensure_ascii=False))

    def handle_csv(self, in_path: str, out_path: str | None) -> None:
        header, rows = assess_csv(in_path)
        text = _csv_text(header, rows)
        if out_path is None or out_path == "-":
            self.stdout.write(text, ending="")
            return
        write_atomically(Path(out_path), text)
        self.stdout.write(f"{len(rows)} rows -> {out_path}")
