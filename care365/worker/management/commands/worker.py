"""`care365 worker`: run the periodic jobs until SIGTERM or Ctrl-C (care365.worker.loop)."""

from __future__ import annotations

import signal
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from care365.worker.loop import Worker


class Command(BaseCommand):
    help = "Run the periodic jobs (age-outs, ...) in a loop; any number of workers may run."
    # The system checks belong to deploying (`care365 check --deploy`, `migrate`, the app's own
    # start): run at every worker start they load the whole web app (its URLs and API) into a
    # process that serves none of it, and a worker restarted after a crash sweeps that much later.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=60.0, help="seconds between sweeps (default 60)"
        )
        parser.add_argument("--once", action="store_true", help="run one sweep and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        worker = Worker(interval=options["interval"])
        if options["once"]:
            ran = worker.sweep()
            for name, result in ran.items():
                self.stdout.write(f"{name}: {result}")
            return

        def stop(signum: int, frame: FrameType | None) -> None:
            self.stderr.write(f"worker {worker.name}: stopping after this sweep")
            worker.stop.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"worker {worker.name}: sweeping every {worker.interval:g}s")
        worker.run_forever()
