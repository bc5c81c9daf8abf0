"""Users' email addresses (where alerts and reminders go) encrypted at rest (docs/privacy.md).

As for carers' phones (carers 0002_encrypt_phones): add an encrypted column, copy every address into it, drop
the clear column, rename. Reversible.
"""

import django.core.validators
from django.db import migrations

import care365.core.fields

BATCH = 1000


def copy_column(model, source, target):
    """Copy `source` into `target` for every row with a value, in batches of primary keys."""
    last = 0
    while True:
        rows = list(
            model.objects.filter(pk__gt=last).exclude(**{source: ""}).order_by("pk")
            .only("pk", source)[:BATCH]
        )
        if not rows:
            return
        for row in rows:
            setattr(row, target, getattr(row, source))
        model.objects.bulk_update(rows, [target])
        last = rows[-1].pk


def encrypt(apps, schema_editor):
    copy_column(apps.get_model("accounts", "User"), "email", "email_encrypted")


def decrypt(apps, schema_editor):
    copy_column(apps.get_model("accounts", "User"), "email_encrypted", "email")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0008_id_lookups_and_confirm_id'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='email_encrypted',
            field=care365.core.fields.EncryptedTextField(blank=True, max_length=254, validators=[django.core.validators.EmailValidator()], verbose_name='email address'),
        ),
        migrations.RunPython(encrypt, decrypt),
        migrations.RemoveField(model_name='user', name='email'),
        migrations.RenameField(model_name='user', old_name='email_encrypted', new_name='email'),
    ]
