"""Each child's stored next-due dates (`PlanDue`), which the due lists read. The table starts
empty: the worker's daily `plan_due_rebuild` job (run at once by a worker that has not run it
today) or `care365 plans rebuild` fills it from the tables; from then on every write that changes
a plan rewrites its children's rows."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('areas', '0004_only_provinces_are_roots'),
        ('care', '0002_risk_score_village'),
        ('registry', '0010_child_name_sort'),
    ]

    operations = [
        migrations.CreateModel(
            name='PlanDue',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('volunteer_visit', "volunteer's visit"), ('safety_check', 'police safety check'), ('home_visit', 'home visit'), ('parent_contact', "parents' contact with the child"), ('examination', 'health examination')], max_length=16, verbose_name='kind')),
                ('due_on', models.DateField(verbose_name='due on')),
                ('last_on', models.DateField(blank=True, null=True, verbose_name='last')),
                ('interval_days', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='interval (days)')),
                ('tightened', models.BooleanField(default=False, verbose_name='tightened for the risk list')),
                ('child', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='registry.child', verbose_name='child')),
                ('village', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='areas.area', verbose_name='village')),
            ],
            options={
                'verbose_name': 'planned care due',
                'verbose_name_plural': 'planned care due',
                'indexes': [models.Index(fields=['village', 'due_on', 'kind'], name='plan_due_village_idx'), models.Index(fields=['due_on', 'kind', 'child'], name='plan_due_day_idx')],
                'constraints': [models.UniqueConstraint(fields=('child', 'kind'), name='plan_due_child_kind_uniq')],
            },
        ),
    ]
