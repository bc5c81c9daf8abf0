"""Guardian.phone_hash: the keyed hash of the entrusted carer's phone (digits only, without
+86), so an SMS to the county's number finds its sender's children by an index instead of
decrypting every entrusted carer's phone in the county. The backfill decrypts each phone once;
going back drops the column.
"""

from django.db import migrations

import care365.core.fields
from care365.core import crypto

BATCH = 1000


def hash_phones(apps, schema_editor):
    guardian = apps.get_model("registry", "Guardian")
    last = 0
    while True:
        rows = list(
            guardian.objects.filter(pk__gt=last).exclude(phone="").order_by("pk")
            .only("pk", "phone")[:BATCH]
        )
        if not rows:
            return
        for row in rows:
            row.phone_hash = crypto.phone_hash(row.phone)
        guardian.objects.bulk_update(rows, ["phone_hash"])
        last = rows[-1].pk


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0008_normalise_names'),
    ]

    operations = [
        migrations.AddField(
            model_name='guardian',
            name='phone_hash',
            field=care365.core.fields.PhoneHashField(db_index=True, source='phone'),
        ),
        migrations.RunPython(hash_phones, migrations.RunPython.noop),
    ]
