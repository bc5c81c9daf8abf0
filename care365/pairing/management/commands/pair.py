"""`care365 pair`: pair children with carers.

    care365 pair --instance instance.json --out result.json [--workers N] [--greedy]
    care365 pair --county CODE --propose [--approve] [--user NAME] [--workers N]
    care365 pair --county CODE --approve [--run ID] [--user NAME]

File mode reads an instance and writes the result in the formats of docs/pairing.md, so that the
solver can be benchmarked and checked by anyone without a database.

Database mode proposes a pairing for a county's active children, as the pairing page does, and
prints its figures and run id; `--approve` applies it (or the proposal `--run ID`, or the county's
open proposal). An approval is refused when the proposal is closed or pairings changed after it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count
from django.utils.translation import override

from care365.accounts.models import User
from care365.areas.models import Area
from care365.pairing import access, services, solver
from care365.pairing.models import Outcome, PairingRun, ProposedPair, UnpairedReason


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
        "file to a result file (formats in docs/pairing.md), or for a county in the database "
        "(--county CODE --propose), and approve the proposal (--approve)."
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
        database = parser.add_argument_group("database mode")
        database.add_argument("--county", metavar="CODE", help="the county's 6-digit code")
        database.add_argument(
            "--propose",
            action="store_true",
            help="propose a pairing for the county's active children and print its figures",
        )
        database.add_argument(
            "--approve",
            action="store_true",
            help="approve the proposal just made (with --propose), the one given by --run, or "
            "the county's open one",
        )
        database.add_argument("--run", type=int, metavar="ID", help="the proposal to approve")
        database.add_argument(
            "--user",
            metavar="NAME",
            help="the county administrator recorded as proposing and approving (default: none)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        database = (
            options["county"]
            or options["propose"]
            or options["approve"]
            or options["run"] is not None
        )
        if options["instance"]:
            if database:
                raise CommandError("give either --instance FILE or --county CODE, not both")
            self.handle_file(options)
            return
        if database:
            self.handle_database(options)
            return
        raise CommandError(
            "give --instance FILE (docs/pairing.md describes the format) or --county CODE --propose"
        )

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

    def handle_database(self, options: dict[str, Any]) -> None:
        if options["out"] or options["greedy"]:
            raise CommandError("--out and --greedy are for file mode (--instance FILE)")
        if not (options["propose"] or options["approve"]):
            raise CommandError("give --propose, --approve or both")
        if options["propose"] and options["run"] is not None:
            raise CommandError("--run names a proposal to approve: leave out --propose")
        run = self.find_run(options["run"]) if options["run"] is not None else None
        if options["county"]:
            county = self.find_county(options["county"])
            if run is not None and run.county_id != county.pk:
                raise CommandError(
                    f"proposal {run.pk} is for county {run.county.code}, not {county.code}"
                )
        elif run is not None:
            county = run.county
        else:
            raise CommandError("give --county CODE (or --run ID to approve a proposal)")
        user = self.find_user(options["user"], county) if options["user"] else None
        if options["propose"]:
            run = services.pairing_propose(actor=user, county=county, workers=options["workers"])
            self.stdout.write(self.figures_text(run))
        if not options["approve"]:
            return
        if run is None:
            run = PairingRun.objects.filter(county=county, state=PairingRun.State.PROPOSED).first()
            if run is None:
                raise CommandError(
                    f"county {county.code} has no open proposal to approve: propose first "
                    "(--propose)"
                )
        try:
            with override("en"):
                run = services.pairing_approve(actor=user, run=run)
        except ValidationError as error:
            raise CommandError(
                f"proposal {run.pk} was not approved: {error.messages[0]}"
            ) from error
        applied = run.figures.get("applied", {})
        self.stdout.write(
            f"Approved proposal {run.pk}: {applied.get('started', 0):,} pairings started, "
            f"{applied.get('ended', 0):,} ended."
        )

    @staticmethod
    def find_county(code: str) -> Area:
        county = Area.objects.filter(level=Area.Level.COUNTY, code=code).first()
        if county is None:
            raise CommandError(f"there is no county with code {code!r}")
        return county

    @staticmethod
    def find_run(run_id: int) -> PairingRun:
        run = PairingRun.objects.select_related("county").filter(pk=run_id).first()
        if run is None:
            raise CommandError(f"there is no pairing proposal {run_id}")
        return run

    @staticmethod
    def find_user(username: str, county: Area) -> User:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None or not (user.is_superuser or access.county_for_admin(user) == county):
            raise CommandError(f"{username!r} is not an active administrator of {county.code}")
        return user

    @staticmethod
    def figures_text(run: PairingRun) -> str:
        """The proposal's figures: children, pairs per role and outcome, children without a carer
        per role and reason, and the time taken."""
        figures = run.figures
        unpaired = {
            (row["role"], row["unpaired_reason"]): row["n"]
            for row in ProposedPair.objects.filter(run=run, outcome=Outcome.UNPAIRED)
            .values("role", "unpaired_reason")
            .annotate(n=Count("pk"))
        }
        outcomes, reasons = Outcome.values, UnpairedReason.values
        lines = [
            f"Proposal {run.pk} for {run.county.name} ({run.county.code}): "
            f"{figures['children']:,} children, {figures['carers']:,} carers",
            f"{'role':<10}" + "".join(f"{o:>12}" for o in outcomes),
        ]
        for role, counts in figures["outcomes"].items():
            lines.append(f"{role:<10}" + "".join(f"{counts[o]:>12,}" for o in outcomes))
        lines.append(f"{'unpaired':<10}" + "".join(f"{r:>22}" for r in reasons))
        for role in figures["outcomes"]:
            lines.append(
                f"{role:<10}" + "".join(f"{unpaired.get((role, r), 0):>22,}" for r in reasons)
            )
        lines.append(
            f"total cost {figures['total_cost']:,}; {figures['seconds']:.2f} s "
            f"(solver {figures['solver_seconds']:.2f} s)"
        )
        lines.append(f"run id: {run.pk}")
        return "\n".join(lines)
