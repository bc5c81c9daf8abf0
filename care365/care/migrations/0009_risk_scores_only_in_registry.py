"""Only a child in the registry has a risk score: the exit drops it in its own transaction, and
the risk list no longer looks at the children to leave out those who left. The scores of
children who left before (which the daily run would sweep the next morning) go now."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def drop_scores_of_children_who_left(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    RiskScore = apps.get_model("care", "RiskScore")
    RiskScore.objects.filter(child__exited_on__isnull=False).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0008_plans_rewrite_pending"),
        ("registry", "0003_retention"),
    ]

    operations = [
        migrations.RunPython(drop_scores_of_children_who_left, migrations.RunPython.noop),
    ]
