"""The child's village on each risk score, for the risk list's index (village, on the list,
score). Existing scores take their child's village; the daily job writes it from then on."""

from django.apps.registry import Apps
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models import OuterRef, Subquery


def fill_village(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    RiskScore = apps.get_model("care", "RiskScore")
    Child = apps.get_model("registry", "Child")
    RiskScore.objects.update(
        village_id=Subquery(Child.objects.filter(pk=OuterRef("child_id")).values("village_id"))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("areas", "0001_initial"),
        ("care", "0001_daily_care"),
        ("registry", "0003_retention"),
    ]

    operations = [
        migrations.AddField(
            model_name="riskscore",
            name="village",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="+",
                to="areas.area",
                verbose_name="village",
            ),
        ),
        migrations.RunPython(fill_village, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="riskscore",
            name="village",
            field=models.ForeignKey(
                db_index=False,
                on_delete=models.deletion.PROTECT,
                related_name="+",
                to="areas.area",
                verbose_name="village",
            ),
        ),
        migrations.AddIndex(
            model_name="riskscore",
            index=models.Index(
                fields=["village", "on_list", "score"], name="risk_village_list_idx"
            ),
        ),
    ]
