"""The duty desk's phone and email and the outbox's addresses encrypted at rest
(docs/privacy.md): the outbox is kept as each alert's history, so every phone and email it ever
sent to would otherwise stay readable in the table.

As for carers' phones (carers 0002): add an encrypted column, copy into it, drop the clear one,
rename. The outbox's check constraint names the address, so it is taken off while the column is
replaced and put back after (an empty address stays empty when encrypted, so it means the same).
Reversible.
"""

from django.db import migrations, models

import care365.core.fields

BATCH = 1000
# (model, field, verbose name, max_length)
COLUMNS = [
    ("EscalationPolicy", "desk_phone", "duty desk phone", 20),
    ("EscalationPolicy", "desk_email", "duty desk email", 254),
    ("Notification", "address", "phone or email", 254),
]


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
    for model, field, _label, _length in COLUMNS:
        copy_column(apps.get_model("protection", model), field, f"{field}_encrypted")


def decrypt(apps, schema_editor):
    for model, field, _label, _length in COLUMNS:
        copy_column(apps.get_model("protection", model), f"{field}_encrypted", field)


HAS_RECIPIENT = models.CheckConstraint(
    condition=models.Q(('recipient__isnull', False), models.Q(('address', ''), _negated=True), _connector='OR'),
    name='notification_has_recipient',
)


class Migration(migrations.Migration):

    dependencies = [
        ('protection', '0002_inbound_sms'),
    ]

    operations = [
        migrations.RemoveConstraint(model_name='notification', name='notification_has_recipient'),
        *[
            migrations.AddField(
                model_name=model.lower(),
                name=f'{field}_encrypted',
                field=care365.core.fields.EncryptedTextField(blank=True, max_length=length, verbose_name=label),
            )
            for model, field, label, length in COLUMNS
        ],
        migrations.RunPython(encrypt, decrypt),
        *[
            migrations.RemoveField(model_name=model.lower(), name=field)
            for model, field, _label, _length in COLUMNS
        ],
        *[
            migrations.RenameField(
                model_name=model.lower(), old_name=f'{field}_encrypted', new_name=field
            )
            for model, field, _label, _length in COLUMNS
        ],
        migrations.AddConstraint(model_name='notification', constraint=HAS_RECIPIENT),
    ]
