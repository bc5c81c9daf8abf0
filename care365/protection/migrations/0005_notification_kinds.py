"""Notifications of other kinds than an alert's (the daily care digest): a `kind`, and no alert
for them. Every existing row is an alert's."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('protection', '0004_encrypt_contact_addresses'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='notification',
            name='kind',
            field=models.CharField(choices=[('alert', 'alert'), ('care_digest', 'daily care digest')], default='alert', max_length=16, verbose_name='kind'),
        ),
        migrations.AlterField(
            model_name='notification',
            name='alert',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='protection.alert', verbose_name='alert'),
        ),
        migrations.AddConstraint(
            model_name='notification',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'alert'), ('alert__isnull', False)), models.Q(models.Q(('kind', 'alert'), _negated=True), ('alert__isnull', True)), _connector='OR'), name='notification_alert_of_its_kind'),
        ),
    ]
