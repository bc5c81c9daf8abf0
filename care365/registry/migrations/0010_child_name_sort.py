"""Child.name_sort: the name's pinyin, which the children list sorts by (registry.names.sort_key),
filled for the children already on record; the list's index reads it instead of the name.

The key is computed by registry.names.sort_key, as the services compute it for new and changed
names: a later change to the key comes with a migration that computes it again."""

from typing import Any

from django.db import migrations, models

from care365.registry.names import sort_key

CHUNK = 2000


def fill_name_sort(apps: Any, schema_editor: Any) -> None:
    child = apps.get_model("registry", "Child")
    rows = child.objects.order_by("pk").values_list("pk", "name")
    changed = []
    for pk, name in rows.iterator(CHUNK):
        changed.append(child(pk=pk, name_sort=sort_key(name)))
        if len(changed) >= CHUNK:
            child.objects.bulk_update(changed, ["name_sort"])
            changed = []
    child.objects.bulk_update(changed, ["name_sort"])


class Migration(migrations.Migration):
    dependencies = [
        ("areas", "0001_initial"),
        ("registry", "0009_guardian_phone_hash"),
    ]

    operations = [
        migrations.AddField(
            model_name="child",
            name="name_sort",
            field=models.CharField(blank=True, editable=False, max_length=120),
        ),
        migrations.RunPython(fill_name_sort, migrations.RunPython.noop),
        migrations.RemoveIndex(
            model_name="child",
            name="child_village_name_idx",
        ),
        migrations.AddIndex(
            model_name="child",
            index=models.Index(
                fields=["village", "exited_on", "name_sort", "sex", "open_statuses", "id"],
                name="child_village_sort_idx",
            ),
        ),
    ]
