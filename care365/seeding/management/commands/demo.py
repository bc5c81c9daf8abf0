"""`care365 demo`: everything `make demo` needs, then the app and a worker until Ctrl-C."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import override

from care365.accounts.models import Role, User
from care365.core.maintenance import db_analyze
from care365.pairing.selectors import coverage as pairing_coverage
from care365.registry.models import Child
from care365.seeding.seed import SeedRefusedError, seed_county
from care365.seeding.seed.demo import DEMO_LOGINS, DemoLogin, DemoSetupError, demo_users_ensure
from care365.seeding.seed.gifts import demo_gifts
from care365.seeding.seed.history import HistoryRefusedError, history_seed
from care365.seeding.seed.network import demo_conferences, demo_referrals, demo_schools
from config.env import env_int

DEMO_CHILDREN = 3000
DEMO_SEED = 365
DEMO_HISTORY_DAYS = 365


class Command(BaseCommand):
    help = (
        "Demo mode only: migrate, seed a synthetic county with a year of history if the "
        "registry is empty, pair its children if nobody is paired yet, create the demo "
        "logins (password 'demo'), then run the app and one worker until Ctrl-C."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--port", type=int, default=None, help="port on 127.0.0.1 (default $PORT or 8000)"
        )
        parser.add_argument(
            "--no-serve", action="store_true", help="set up only; do not run the app and worker"
        )
        parser.add_argument(
            "--history",
            type=int,
            default=DEMO_HISTORY_DAYS,
            metavar="DAYS",
            help=f"days of history a newly seeded county gets (default {DEMO_HISTORY_DAYS}; "
            "0 for none)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO:
            raise CommandError(
                "care365 demo runs only in demo mode: set CARE365_DEMO=1 (make demo does). "
                "It creates logins with a shared, well-known password."
            )
        verbose = options["verbosity"] > 0
        port = options["port"] or env_int("PORT", 8000)
        if not options["no_serve"]:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    raise CommandError(
                        f"port {port} is in use: choose another with PORT=... (or --port)"
                    )
        call_command("migrate", interactive=False, verbosity=0)
        # Static files come from the apps (WhiteNoise finders in demo mode); an empty STATIC_ROOT
        # keeps WhiteNoise from warning that it is missing.
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
        if options["history"] < 0:
            raise CommandError("--history must be zero or more")
        seeded = not Child.objects.exists()
        if seeded:
            if verbose:
                self.stdout.write(f"Seeding a synthetic county with {DEMO_CHILDREN:,} children...")
            try:
                seed_county(children=DEMO_CHILDREN, seed=DEMO_SEED, progress=verbose)
            except SeedRefusedError as exc:
                raise CommandError(str(exc)) from exc
        try:
            logins = demo_users_ensure()  # and pairs the county's children if nobody is yet
        except DemoSetupError as exc:
            raise CommandError(str(exc)) from exc
        if seeded and options["history"]:
            # Only onto the county just seeded: an existing registry keeps what it has.
            if verbose:
                self.stdout.write(f"Writing {options['history']} days of history...")
            try:
                history = history_seed(days=options["history"], seed=DEMO_SEED)
            except HistoryRefusedError as exc:
                raise CommandError(str(exc)) from exc
            director = User.objects.get(username="director")
            admin = User.objects.get(username=DEMO_LOGINS[0][0])
            referrals = demo_referrals(director=director, admin=admin)
            conferences = demo_conferences(director=director, admin=admin)
            teacher = User.objects.filter(username="teacher", role="teacher").first()
            enrolled = demo_schools(director=director, teacher=teacher)
            gifts = demo_gifts(director=director, admin=admin)
            db_analyze(full=True)
            if verbose:
                self.stdout.write(history.summary())
                self.stdout.write(f"  {referrals} referrals of the director's village children")
                self.stdout.write(f"  {conferences} case conferences of the village's children")
                self.stdout.write(f"  {enrolled} children on the teacher's school roll")
                self.stdout.write(f"  {gifts} Children's Day gifts of the village's children")
        if options["no_serve"]:
            if verbose:
                self.stdout.write(self.pairing_text() + "\n" + self.logins_text(logins))
            return
        self.serve(port, logins)

    def logins_text(self, logins: list[DemoLogin]) -> str:
        lines = [f"Demo logins (password: {settings.DEMO_PASSWORD}):"]
        # CJK characters take two columns each: the Chinese roles are padded to the widest.
        width = max((2 * len(login.role_zh) for login in logins), default=0) + 2
        with override("en"):
            for login in logins:
                role = str(Role(login.role).label)
                zh = login.role_zh + " " * (width - 2 * len(login.role_zh))
                lines.append(f"  {login.username:<11} {role:<29}{zh}{login.where}")
        return "\n".join(lines)

    @staticmethod
    def pairing_text() -> str:
        """How many of the demo county's children have a carer of each role today."""
        admin = User.objects.select_related("area").get(username=DEMO_LOGINS[0][0])
        if admin.area is None:  # demo_users_ensure gives the admin the county
            return ""
        shares = ", ".join(
            f"{c.role} {c.paired:,} of {c.children:,}" for c in pairing_coverage(admin.area)
        )
        return f"Children paired with a carer: {shares}."

    def serve(self, port: int, logins: list[DemoLogin]) -> None:
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        app = subprocess.Popen(  # noqa: S603  # our own interpreter and fixed arguments
            [
                sys.executable,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ]
        )
        worker = subprocess.Popen([sys.executable, "-m", "care365.cli", "worker"])
        children = (app, worker)
        try:
            if self.wait_for_port(port, app, stop):
                self.stdout.write(f"\nCare365 demo: http://127.0.0.1:{port}/\n")
                self.stdout.write(self.pairing_text())
                self.stdout.write(self.logins_text(logins))
                self.stdout.write("\nCtrl-C stops the app and the worker.")
            while not stop.is_set() and all(p.poll() is None for p in children):
                stop.wait(0.5)
        finally:
            for process in children:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in children:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        failed = [p for p in children if p.returncode not in (0, -signal.SIGTERM)]
        if failed and not stop.is_set():
            raise CommandError("the app or the worker stopped unexpectedly; see the messages above")
        self.stdout.write("Stopped.")

    @staticmethod
    def wait_for_port(port: int, app: subprocess.Popen[bytes], stop: threading.Event) -> bool:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not stop.is_set() and app.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return True
            except OSError:
                stop.wait(0.2)
        return False
