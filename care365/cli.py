"""The `care365` console script: Django's management commands under one name.

care365 demo | seed | worker | migrate | runserver | ...
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["care365", *sys.argv[1:]])


if __name__ == "__main__":
    main()
