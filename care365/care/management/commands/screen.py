"""`care365 screen`: score a completed screening form, or check an instrument file.

    care365 screen --instrument phq9|gad7|ces-dc --answers 1,0,2,...
    care365 screen --instrument-file county/sdq-parent.json --answers ...
    care365 screen --check county/sdq-parent.json

Answers are the scores as printed on the form, in item order. The scorer is the pure core in
care365/care/screening/; docs/growth-and-screening.md describes the instrument file format.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from care365.care import screening

_ANSWER = re.compile(r"^-?[0-9]+$")


def parse_answers(text: str) -> list[int]:
    """ "1,0,2" -> [1, 0, 2]; anything but whole numbers separated by commas is refused."""
    answers = []
    for position, part in enumerate(text.split(","), start=1):
        part = part.strip()
        if not _ANSWER.fullmatch(part):
            shown = repr(part) if part else "empty"
            raise CommandError(f"answer {position} is {shown}: give whole numbers, e.g. 1,0,2")
        answers.append(int(part))
    return answers


class Command(BaseCommand):
    help = (
        "Score a screening form (PHQ-9 adolescent, GAD-7, CES-DC or a county's own instrument "
        "file) from its answers, printed as JSON; or check an instrument file."
    )
    requires_system_checks: list[str] = []  # a calculator: it needs no database or app state

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--instrument", metavar="CODE", help=f"one of {', '.join(screening.BUILTIN)}"
        )
        which.add_argument(
            "--instrument-file", metavar="FILE", help="an instrument file (format 1, JSON)"
        )
        which.add_argument(
            "--check", metavar="FILE", help="check an instrument file and summarise it"
        )
        parser.add_argument(
            "--answers",
            metavar="LIST",
            help="the scores as printed on the form, in item order, separated by commas",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["check"]:
            if options["answers"] is not None:
                raise CommandError("--check takes no --answers")
            self.stdout.write(json.dumps(self.summary(self.load(file=options["check"]))))
            return
        if not options["instrument"] and not options["instrument_file"]:
            raise CommandError(
                f"give --instrument ({'|'.join(screening.BUILTIN)}) or --instrument-file FILE"
            )
        if options["answers"] is None:
            raise CommandError("give --answers, e.g. --answers 1,0,2,...")
        instrument = self.load(code=options["instrument"], file=options["instrument_file"])
        try:
            result = screening.score(instrument, parse_answers(options["answers"]))
        except screening.AnswerError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))

    @staticmethod
    def load(*, code: str | None = None, file: str | None = None) -> screening.Instrument:
        try:
            if file:
                return screening.load_instrument(file)
            return screening.builtin(code or "")
        except screening.InstrumentError as error:
            raise CommandError(str(error)) from error

    @staticmethod
    def summary(instrument: screening.Instrument) -> dict[str, object]:
        low, high = instrument.total_range
        return {
            "code": instrument.code,
            "version": instrument.version,
            "items": len(instrument.items),
            "total_range": [low, high],
            "cutoff": instrument.cutoff,
            "bands": [band.code for band in instrument.bands],
            "subscales": [subscale.code for subscale in instrument.subscales],
            "flags": sorted({rule.code for rule in instrument.flag_rules}),
        }
