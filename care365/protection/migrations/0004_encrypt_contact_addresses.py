"""The duty desk's phone and email and the outbox's addresses encrypted at rest
(docs/privacy.md): the outbox is kept as each alert's history, so every phone and email it ever
sent to would otherwise stay readable in the table.

As for carers' phones (carers 0002_encrypt_phones): add an encrypted column, copy into it, drop the clear one,
rename. The outbox's check constraint names the address, so it is taken off while the column is
replaced and put back after (an empty address stays empty when encrypted, so it means the same).
Reversible.
"""

from django.db import migrations, models
from django.db.models import Q

import care365.core.fields

BATCH = 1000
# (model, field, verbose name, max_length)
COLUMNS = [
    ("EscalationPolicy", "desk_phone", "duty desk phone", 20),
    ("EscalationPolicy", "desk_email", "duty desk email", 254),
    ("Notification", "address", "phone or email", 254),
]


def copy_columns(model, pairs):
    """Copy each (source, target) column pair for every row, in batches of primary keys.

    A model's columns are copied in one UPDATE per row: on PostgreSQL a second UPDATE of a row
    this transaction already updated fires its (deferred) foreign-key checks, and a table with
    pending checks cannot be altered by the operations that follow."""
    sources = [source for source, _target in pairs]
    blank = Q()
    for source in sources:
        blank &= Q(**{source: ""})
    last = 0
    while True:
        rows = list(
            model.objects.filter(pk__gt=last).exclude(blank).order_by("pk")
            .only("pk", *sources)[:BATCH]
        )
        if not rows:
            return
        for row in rows:
            for source, target in pairs:
                setattr(row, target, getattr(row, source))
        model.objects.bulk_update(rows, [target for _source, target in pairs])
        last = rows[-1].pk


def by_model():
    models_ = {}
    for model, field, _label, _length in COLUMNS:
        models_.setdefault(model, []).append(field)
    return models_.items()


def encrypt(apps, schema_editor):
    for model, fields in by_model():
        pairs = [(field, f"{field}_encrypted") for field in fields]
        copy_columns(apps.get_model("protection", model), pairs)


def decrypt(apps, schema_editor):
    for model, fields in by_model():
        pairs = [(f"{field}_encrypted", field) for field in fields]
        copy_columns(apps.get_model("protection", model), pairs)


HAS_RECIPIENT = models.CheckConstraint(
    condition=models.Q(('recipient__isnull', False), models.Q(('address', ''), _negated=True), _connector='OR'),
    name='notification_has_recipient',
)


class Migration(migrations.Migration):

    dependencies = [
        ('protection', '0003_alert_request_count'),
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
