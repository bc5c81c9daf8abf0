"""The access log says what came of each access: `outcome`, allowed (every entry so far) or
refused. Added without rewriting the table: on SQLite a plain ALTER TABLE ADD COLUMN (Django
would rebuild the table, dropping any trigger that keeps the log append-only), on PostgreSQL
Django's own ADD COLUMN, which fires no row trigger. Entries keep their hashes: only a refusal
carries its outcome in the chained payload (AccessLog.chain_payload)."""

from typing import Any

from django.db import migrations, models

OUTCOME = models.CharField(
    choices=[("allowed", "allowed"), ("refused", "refused")],
    default="allowed",
    max_length=8,
    verbose_name="outcome",
)


def add_column(apps: Any, schema_editor: Any) -> None:
    model = apps.get_model("accounts", "AccessLog")
    if schema_editor.connection.vendor == "sqlite":
        table = schema_editor.quote_name(model._meta.db_table)
        schema_editor.execute(
            f"ALTER TABLE {table} ADD COLUMN \"outcome\" varchar(8) NOT NULL DEFAULT 'allowed'"
        )
    else:
        schema_editor.add_field(model, model._meta.get_field("outcome"))


def drop_column(apps: Any, schema_editor: Any) -> None:
    model = apps.get_model("accounts", "AccessLog")
    if schema_editor.connection.vendor == "sqlite":
        table = schema_editor.quote_name(model._meta.db_table)
        schema_editor.execute(f'ALTER TABLE {table} DROP COLUMN "outcome"')
    else:
        schema_editor.remove_field(model, model._meta.get_field("outcome"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_api_token_revocation"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(model_name="accesslog", name="outcome", field=OUTCOME),
            ],
        ),
        # After the state has the field, so that the historical model carries it.
        migrations.RunPython(add_column, drop_column),
        migrations.AlterField(
            model_name="accesslog",
            name="purpose",
            field=models.CharField(
                choices=[
                    ("view", "view the record"),
                    ("edit", "edit the record"),
                    ("exit", "exit from the registry"),
                    ("reveal_id", "reveal the full ID number"),
                    ("export", "export"),
                    ("duplicate", "resolve a possible duplicate"),
                    ("break_glass", "emergency access outside one's scope"),
                    ("probe", "registration with an ID number already on record"),
                ],
                max_length=16,
                verbose_name="purpose",
            ),
        ),
    ]
