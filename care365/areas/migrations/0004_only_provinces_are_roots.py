from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("areas", "0003_counties_under_prefectures_and_provinces"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="area",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("level", "province"), ("parent__isnull", True)),
                    models.Q(
                        models.Q(("level", "province"), _negated=True),
                        ("parent__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="area_only_provinces_are_roots",
            ),
        ),
    ]
