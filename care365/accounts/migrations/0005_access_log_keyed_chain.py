"""Key the access log's chain: every entry's link becomes an HMAC-SHA256 under the audit key
(CARE365_AUDIT_KEYS), and SQLite refuses to change or delete an entry, as PostgreSQL already did.

The existing chain is checked as it stands (unkeyed SHA-256 links) before it is MACed: a chain that
does not hold stops the migration (docs/operations.md, "Keying the audit chains"), since MACing it
would vouch for entries changed before. Reversible: the reverse checks the MACs and writes the
SHA-256 links back."""

from datetime import UTC
from typing import Any

from django.db import migrations, models

from care365.core.rechain import relink_table

TABLE = "accounts_accesslog"


def payload(row: Any) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "at": row.at.astimezone(UTC).isoformat(),
        "user": row.user_id,
        "child": row.child_id,
        "purpose": row.purpose,
        "route": row.route,
        "reason": row.reason,
    }


def _relink(apps: Any, schema_editor: Any, *, forward: bool) -> None:
    relink_table(
        apps,
        schema_editor,
        model=("accounts", "AccessLog"),
        table=TABLE,
        name="access",
        payload=payload,
        forward=forward,
    )


def key_the_chain(apps: Any, schema_editor: Any) -> None:
    _relink(apps, schema_editor, forward=True)


def unkey_the_chain(apps: Any, schema_editor: Any) -> None:
    _relink(apps, schema_editor, forward=False)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0004_sign_in_throttle_and_totp"),
        ("core", "0005_audit_trail_keyed_chain"),
    ]

    operations = [
        migrations.AddField(
            model_name="accesslog",
            name="key_id",
            field=models.CharField(blank=True, editable=False, max_length=16, verbose_name="audit key"),
        ),
        migrations.RunPython(key_the_chain, unkey_the_chain),
    ]
