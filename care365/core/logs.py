"""Keeping secrets out of the server's logs.

A family's help link is a capability: whoever has the address can raise an alert for the child
(docs/privacy.md). Its token is in the URL path (`/h/<token>/`), and Django (a 404, a CSRF
refusal), uvicorn's access log and a proxy all log paths. `RedactSecrets`, a logging filter on
every handler Care365 configures (config/settings.py LOGGING), blanks such tokens in a record's
message, its arguments and a formatted traceback before anything is written.
"""

from __future__ import annotations

import logging
import re
from typing import Any

# A help link's path, wherever it appears (a path, a full URL, a quoted request line): the token
# is everything after /h/ up to the next slash, query, quote or space.
# A new user's link to set a password (`/account/set-password/<uid>/<token>/`) the same way.
SECRET_IN_PATH = re.compile(r"(/h/|/account/set-password/[^/?#\s\"'<>]+/)[^/?#\s\"'<>]+")
REDACTED = r"\1[redacted]"


def redact(text: str) -> str:
    return SECRET_IN_PATH.sub(REDACTED, text)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, bytes):
        return redact(value.decode("utf-8", "replace")).encode()
    # Anything else that prints a path (a request object, an exception) prints it redacted.
    if not isinstance(value, int | float | bool) and value is not None:
        text = str(value)
        if SECRET_IN_PATH.search(text):
            return redact(text)
    return value


class RedactSecrets(logging.Filter):
    """Blanks help-link tokens in every record that passes (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, dict):
            record.args = {k: _redact_value(v) for k, v in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_redact_value(v) for v in record.args)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
