"""A referral keeps a copy of its child's village (the lists of an area read it by an index)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_villages(apps, schema_editor):  # type: ignore[no-untyped-def]
    Referral = apps.get_model("network", "Referral")
    Child = apps.get_model("registry", "Child")
    village = Child.objects.filter(pk=OuterRef("child_id")).values("village_id")[:1]
    Referral.objects.filter(village__isnull=True).update(village_id=Subquery(village))


class Migration(migrations.Migration):
    dependencies = [
        ("areas", "0004_only_provinces_are_roots"),
        ("network", "0005_schools"),
        ("registry", "0010_child_name_sort"),
    ]

    operations = [
        migrations.AddField(
            model_name="referral",
            name="village",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="areas.area",
                verbose_name="village",
            ),
        ),
        migrations.RunPython(copy_villages, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="referral",
            name="village",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="areas.area",
                verbose_name="village",
            ),
        ),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(fields=["village", "-created_at"], name="referral_village_idx"),
        ),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(fields=["-created_at", "-id"], name="referral_created_idx"),
        ),
    ]
