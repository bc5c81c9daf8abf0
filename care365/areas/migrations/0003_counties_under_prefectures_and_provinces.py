"""Every existing county gets its prefecture and province (GB/T 2260 codes and names).

A separate migration from the schema changes around it: on PostgreSQL a table whose rows were
just updated (with deferred foreign-key checks pending) cannot be altered in the same
transaction."""

from typing import Any

from django.db import migrations

from care365.areas.ancestors import county_parents_ensure


def counties_join_their_ancestors(apps: Any, schema_editor: Any) -> None:
    area = apps.get_model("areas", "Area")
    counties = list(area.objects.filter(level="county", parent__isnull=True).order_by("code"))
    parents = county_parents_ensure(area, [(c.code, c.latitude, c.longitude) for c in counties])
    for county in counties:
        county.parent = parents[county.code]
        county.save(update_fields=["parent"])


def counties_leave_their_ancestors(apps: Any, schema_editor: Any) -> None:
    area = apps.get_model("areas", "Area")
    area.objects.filter(level="county").update(parent=None)
    area.objects.filter(level="prefecture").delete()
    area.objects.filter(level="province").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("areas", "0002_province_and_prefecture_levels"),
    ]

    operations = [
        migrations.RunPython(counties_join_their_ancestors, counties_leave_their_ancestors),
    ]
