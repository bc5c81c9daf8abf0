"""Child.open_statuses: a copy of the kinds of each child's open statuses, one bit per kind.

The backfill sets one bit per kind with one UPDATE each, over the children that have an open
status of that kind: five statements whatever the number of children, on SQLite and PostgreSQL.
The list's index takes the column in the next migration, after the backfill: the rows are written
before the index, and on PostgreSQL the index is built in a transaction of its own (a table cannot
be indexed in the transaction that updated its rows while deferred foreign-key checks wait).
"""

from django.db import migrations, models
from django.db.models import F, Q

# The bits as registry.models.STATUS_BIT had them when this migration was written.
STATUS_BIT = {
    "left_behind": 1,
    "difficulty_poverty": 2,
    "difficulty_disability": 4,
    "difficulty_guardianship": 8,
    "unsupported": 16,
}


def fill_open_statuses(child_model, status_model):
    """Set every child's open_statuses from its open statuses (a child has one open per kind)."""
    child_model.objects.filter(~Q(open_statuses=0)).update(open_statuses=0)
    for kind, bit in STATUS_BIT.items():
        open_of_kind = status_model.objects.filter(kind=kind, ended_on__isnull=True)
        child_model.objects.filter(pk__in=open_of_kind.values("child_id")).update(
            open_statuses=F("open_statuses") + bit
        )


def backfill(apps, schema_editor):
    fill_open_statuses(apps.get_model("registry", "Child"), apps.get_model("registry", "ChildStatus"))


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0004_child_list_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='child',
            name='open_statuses',
            field=models.PositiveSmallIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
