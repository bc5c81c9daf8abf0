"""Key the access log's chain: every entry's link becomes an HMAC-SHA256 under the audit key
(CARE365_AUDIT_KEYS), and SQLite refuses to change or delete an entry, as PostgreSQL already did.

The existing chain is checked as it stands (unkeyed SHA-256 links) before it is MACed: a chain that
does not hold stops the migration (docs/operations.md, "Keying the audit chains"), since MACing it
would vouch for entries changed before. Reversible: the reverse checks the MACs and writes the
SHA-256 links back."""

from datetime import UTC
from typing import Any

from django.conf import settings
from django.db import migrations, models

from care365.core import append_only, chain
from care365.core.rechain import relink

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


def _keys() -> dict[str, bytes]:
    keys = [k.encode("utf-8") for k in settings.AUDIT_KEYS]
    return {chain.key_id(k): k for k in keys}


def _relink(apps: Any, schema_editor: Any, *, forward: bool) -> None:
    model = apps.get_model("accounts", "AccessLog")
    head = apps.get_model("core", "LedgerHead")
    keys = _keys()
    current = next(iter(keys))

    def sha(row: Any, prev: str, body: dict[str, Any]) -> str:
        return chain.entry_hash(prev, body)

    def mac(row: Any, prev: str, body: dict[str, Any]) -> str:
        key = keys.get(row.key_id) if not forward else keys[current]
        return chain.entry_mac(key, prev, body) if key else ""

    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TABLE}_append_only")
    for sql in append_only.sqlite_drop(TABLE) if vendor == "sqlite" else []:
        schema_editor.execute(sql)
    if forward:
        relink(model, head, "access", payload, old=sha, new=mac, key_id=current)
    else:
        relink(model, head, "access", payload, old=mac, new=sha, key_id="")
    if vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TABLE}_append_only")
    for sql in append_only.sqlite_create(TABLE) if vendor == "sqlite" and forward else []:
        schema_editor.execute(sql)


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
