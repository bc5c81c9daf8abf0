# The children list's index also holds open_statuses and id: a page's ids and the count, with
# the status filter, are read from the index alone.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('areas', '0001_initial'),
        ('registry', '0005_child_open_statuses'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='child',
            name='child_village_name_idx',
        ),
        migrations.AddIndex(
            model_name='child',
            index=models.Index(fields=['village', 'exited_on', 'name', 'sex', 'open_statuses', 'id'], name='child_village_name_idx'),
        ),
    ]
