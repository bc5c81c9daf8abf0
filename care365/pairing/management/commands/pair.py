"""`care365 pair`: pair children with carers.

    care365 pair --instance instance.json --out result.json [--workers N] [--greedy]

File mode reads an instance and writes the result in the formats of docs/pairing.md, so that the
solver can be benchmarked and checked by anyone without a database.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from care365.pairing import solver


def pair_file(
    instance_path: str, out_path: str | None, *, workers: int = 1, use_greedy: bool = False
) -> solver.Result:
    """Solve the instance in `instance_path` ("-": standard input) and write the result to
    `out_path` (None or "-": standard output). Bad input raises CommandError."""
    try:
        if instance_path == "-":
            data = json.load(sys.stdin)
        else:
            with Path(instance_path).open(encoding="utf-8") as f:
                data = json.load(f)
    except OSError as error:
        raise CommandError(f"cannot read {instance_path}: {error.strerror or error}") from error
    except json.JSONDecodeError as error:
        raise CommandError(f"{instance_path} is not valid JSON: {error}") from error
    try:
        instance = solver.instance_from_dict(data)
    except solver.InstanceError as error:
        raise CommandError(f"{instance_path}: {error}") from error
    result = solver.greedy(instance) if use_greedy else solver.solve(instance, workers=workers)
    payload = solver.result_to_dict(result)
    if out_path is None or out_path == "-":
        json.dump(payload, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return result
    try:
        with Path(out_path).open("w", encoding="utf-8") as f:
            json.dump(payload, f, ensure_ascii=False)
    except OSError as error:
        raise CommandError(f"cannot write {out_path}: {error.strerror or error}") from error
    return result


class Command(BaseCommand):
    help = (
        "Propose one police officer, one doctor and one volunteer per child: from an instance "
        "file to a result file (formats in docs/pairing.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--instance", metavar="FILE", help="instance JSON file ('-' for standard input)"
        )
        parser.add_argument(
            "--out", metavar="FILE", help="result JSON file (default: standard output)"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="worker processes for large instances (default 1)",
        )
        parser.add_argument(
            "--greedy",
            action="store_true",
            help="the greedy baseline (nearest carer with room) instead of the exact solver",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        if options["instance"]:
            self.handle_file(options)
            return
        raise CommandError("give --instance FILE (docs/pairing.md describes the format)")

    def handle_file(self, options: dict[str, Any]) -> None:
        out = options["out"]
        result = pair_file(
            options["instance"], out, workers=options["workers"], use_greedy=options["greedy"]
        )
        if out is not None and out != "-":
            self.stdout.write(
                f"{result.paired} pairs, {len(result.unpaired)} without a carer, total cost "
                f"{result.total_cost}, {result.seconds:.2f} s -> {out}"
            )
