"""`care365 totp_reset USERNAME`: remove a user's authenticator app and recovery codes.

For a user who lost both the phone and the recovery codes, after checking who they are in
person. Their next sign-in sets up a new app (a role that must use codes) or takes the password
alone. The reset is written to the audit trail.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from care365.accounts import totp
from care365.accounts.models import User


class Command(BaseCommand):
    help = "Remove a user's authenticator app and recovery codes (two-step sign-in)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be removed; change nothing."
        )

    def handle(self, *args: Any, username: str, dry_run: bool, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError("no such user")
        has_app = totp.confirmed_device(user) is not None or totp.pending_device(user) is not None
        if dry_run:
            self.stdout.write(f"would remove: {'an authenticator app' if has_app else 'nothing'}")
            return
        removed = totp.device_reset(actor=None, user=user)
        self.stdout.write("removed the authenticator app" if removed else "nothing to remove")
