"""Carers' and organisations' phones encrypted at rest, like the children's (docs/privacy.md).

An encrypted column cannot be altered in place (the old values are not tokens), so each phone
goes through a new column: add `phone_encrypted`, copy every value into it (EncryptedTextField
encrypts as it writes), drop the clear `phone`, and give the new column its name. Reversible: going
back copies the decrypted values into a clear column again.
"""

from django.db import migrations, models

import care365.core.fields

BATCH = 1000
PHONES = [("Organisation", "duty phone"), ("Carer", "phone")]


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
    for name, _label in PHONES:
        copy_column(apps.get_model("carers", name), "phone", "phone_encrypted")


def decrypt(apps, schema_editor):
    for name, _label in PHONES:
        copy_column(apps.get_model("carers", name), "phone_encrypted", "phone")


class Migration(migrations.Migration):

    dependencies = [
        ('carers', '0001_initial'),
    ]

    operations = [
        *[
            migrations.AddField(
                model_name=name.lower(),
                name='phone_encrypted',
                field=care365.core.fields.EncryptedTextField(blank=True, max_length=20, verbose_name=label),
            )
            for name, label in PHONES
        ],
        migrations.RunPython(encrypt, decrypt),
        *[
            migrations.RemoveField(model_name=name.lower(), name='phone')
            for name, _label in PHONES
        ],
        *[
            migrations.RenameField(
                model_name=name.lower(), old_name='phone_encrypted', new_name='phone'
            )
            for name, _label in PHONES
        ],
    ]
