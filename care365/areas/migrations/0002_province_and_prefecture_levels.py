from django.db import migrations, models


class Migration(migrations.Migration):
    """Provinces and prefectures join the tree; counties stop being roots (the new root rule is
    added in 0004, once 0003 has given every county its parent)."""

    dependencies = [
        ("areas", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="area",
            name="area_only_counties_are_roots",
        ),
        migrations.AlterField(
            model_name="area",
            name="level",
            field=models.CharField(
                choices=[
                    ("province", "province"),
                    ("prefecture", "prefecture"),
                    ("county", "county"),
                    ("township", "township"),
                    ("village", "village"),
                ],
                max_length=16,
                verbose_name="level",
            ),
        ),
    ]
