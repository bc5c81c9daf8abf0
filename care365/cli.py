"""The `care365` console script: Django's management commands under one name.

care365 demo | seed | worker | migrate | runserver | ...

The help and the commands that touch no database (`growth`, `screen`, `pair --instance`) work
on a fresh install with no setting at all: for them alone, the keys that are not set are filled
with throwaway random ones for this one process (`offline_keys`). Every other command, and the
app itself, still refuses to start without real keys (config/settings.py).
"""

from __future__ import annotations

import base64
import os
import secrets
import sys
from collections.abc import Sequence

# The keys config/settings.py requires outside demo mode.
KEYS = ("CARE365_SECRET_KEY", "CARE365_FIELD_KEYS", "CARE365_HASH_KEY", "CARE365_AUDIT_KEYS")
# Commands that only compute from their arguments or files.
CALCULATORS = frozenset({"growth", "screen"})
HELP = frozenset({"help", "--help", "-h", "--version", "version"})


def touches_no_database(argv: Sequence[str]) -> bool:
    """Whether `care365 ARGV` only prints help or computes without a database."""
    if not argv or argv[0] in HELP or "--help" in argv or "-h" in argv:
        return True
    command, options = argv[0], argv[1:]
    if command in CALCULATORS:
        return True
    if command == "pair":
        file_mode = any(o == "--instance" or o.startswith("--instance=") for o in options)
        return file_mode and not any(o == "--county" or o.startswith("--county=") for o in options)
    return False


def offline_keys() -> dict[str, str]:
    """Random keys of the right shapes (a Fernet key for the field keys), distinct from each
    other and from the demo keys: good for one process that stores nothing."""
    return {
        "CARE365_SECRET_KEY": secrets.token_urlsafe(50),
        "CARE365_FIELD_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "CARE365_HASH_KEY": secrets.token_urlsafe(32),
        "CARE365_AUDIT_KEYS": secrets.token_urlsafe(48),
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    argv = sys.argv[1:]
    if touches_no_database(argv):
        for name, value in offline_keys().items():
            if not os.environ.get(name) and not os.environ.get(f"{name}_FILE"):
                os.environ[name] = value
    from django.core.management import execute_from_command_line

    execute_from_command_line(["care365", *argv])


if __name__ == "__main__":
    main()
