"""Health education sessions get a topic from a list (the free text they had becomes their
title, and each existing session's topic is read from it where a keyword says which), the
materials used, a school and a count of the other people present; and the volunteers' study help
and interests: learning goals with their progress notes, and interest activities."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


# Keywords of a title, in the order they are tried, and the topic they stand for.
KEYWORDS = (
    ("溺水", "drowning"),
    ("近视", "myopia"),
    ("视力", "myopia"),
    ("用眼", "myopia"),
    ("口腔", "oral_health"),
    ("刷牙", "oral_health"),
    ("膳食", "nutrition"),
    ("营养", "nutrition"),
    ("青春期", "puberty"),
    ("传染病", "infectious"),
    ("心理", "mental_health"),
    ("情绪", "mental_health"),
    ("急救", "first_aid"),
    ("洗手", "hygiene"),
    ("卫生", "hygiene"),
)


def topics_from_titles(apps, schema_editor):
    HealthSession = apps.get_model("care", "HealthSession")
    for session in HealthSession.objects.exclude(title="").only("pk", "title").iterator():
        topic = next((t for word, t in KEYWORDS if word in session.title), "other")
        if topic != "other":
            HealthSession.objects.filter(pk=session.pk).update(topic=topic)


class Migration(migrations.Migration):

    dependencies = [
        ('areas', '0004_only_provinces_are_roots'),
        ('care', '0004_school_absences'),
        ('carers', '0004_organisation_contact_email'),
        ('registry', '0010_child_name_sort'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='InterestActivity',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('interest', models.CharField(choices=[('music', 'music'), ('dance', 'dance'), ('art', 'art'), ('sport', 'sport'), ('reading', 'reading'), ('science', 'science'), ('calligraphy', 'calligraphy'), ('crafts', 'crafts')], max_length=12, verbose_name='interest')),
                ('done_on', models.DateField(verbose_name='day')),
                ('what', models.CharField(max_length=500, verbose_name='what was done')),
                ('note', models.TextField(blank=True, max_length=2000, verbose_name='note')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='written at')),
            ],
            options={
                'verbose_name': 'interest activity',
                'verbose_name_plural': 'interest activities',
                'ordering': ['-done_on', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='LearningGoal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('subject', models.CharField(choices=[('chinese', 'Chinese'), ('maths', 'maths'), ('english', 'English'), ('science', 'science'), ('reading', 'reading'), ('homework', 'homework habits'), ('other', 'other subject')], max_length=10, verbose_name='subject')),
                ('goal', models.CharField(max_length=500, verbose_name='goal')),
                ('started_on', models.DateField(verbose_name='started on')),
                ('state', models.CharField(choices=[('active', 'working on it'), ('achieved', 'achieved'), ('dropped', 'dropped')], default='active', max_length=10, verbose_name='state')),
                ('ended_on', models.DateField(blank=True, null=True, verbose_name='achieved or dropped on')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='set at')),
            ],
            options={
                'verbose_name': 'learning goal',
                'verbose_name_plural': 'learning goals',
                'ordering': ['-started_on', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='LearningNote',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('noted_on', models.DateField(verbose_name='day')),
                ('note', models.TextField(max_length=2000, verbose_name='progress')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='written at')),
            ],
            options={
                'verbose_name': 'progress note',
                'verbose_name_plural': 'progress notes',
                'ordering': ['-noted_on', '-pk'],
            },
        ),
        migrations.AddField(
            model_name='healthsession',
            name='materials',
            field=models.TextField(blank=True, verbose_name='materials used'),
        ),
        migrations.AddField(
            model_name='healthsession',
            name='other_attendees',
            field=models.PositiveIntegerField(default=0, verbose_name='other people present'),
        ),
        migrations.AddField(
            model_name='healthsession',
            name='school',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='carers.organisation', verbose_name='school'),
        ),
        migrations.RenameField(
            model_name='healthsession',
            old_name='topic',
            new_name='title',
        ),
        migrations.AlterField(
            model_name='healthsession',
            name='title',
            field=models.CharField(blank=True, max_length=200, verbose_name='title'),
        ),
        migrations.AddField(
            model_name='healthsession',
            name='topic',
            field=models.CharField(choices=[('hygiene', 'hygiene and hand washing'), ('nutrition', 'nutrition'), ('myopia', 'myopia prevention'), ('oral_health', 'oral health'), ('drowning', 'drowning prevention'), ('mental_health', 'mental health'), ('puberty', 'puberty'), ('infectious', 'infectious disease'), ('first_aid', 'first aid'), ('other', 'other topic')], default='other', max_length=16, verbose_name='topic'),
        ),
        migrations.RunPython(topics_from_titles, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='healthsession',
            index=models.Index(fields=['area', 'held_on'], name='health_session_area_idx'),
        ),
        migrations.AddConstraint(
            model_name='healthsession',
            constraint=models.CheckConstraint(condition=models.Q(('other_attendees__lte', 2000)), name='health_session_other_attendees_max'),
        ),
        migrations.AddField(
            model_name='interestactivity',
            name='carer',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='interest_activities', to='carers.carer', verbose_name='volunteer'),
        ),
        migrations.AddField(
            model_name='interestactivity',
            name='child',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='interest_activities', to='registry.child', verbose_name='child'),
        ),
        migrations.AddField(
            model_name='interestactivity',
            name='written_by',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='written by'),
        ),
        migrations.AddField(
            model_name='learninggoal',
            name='carer',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='learning_goals', to='carers.carer', verbose_name='volunteer'),
        ),
        migrations.AddField(
            model_name='learninggoal',
            name='child',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='learning_goals', to='registry.child', verbose_name='child'),
        ),
        migrations.AddField(
            model_name='learninggoal',
            name='set_by',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='set by'),
        ),
        migrations.AddField(
            model_name='learningnote',
            name='goal',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='notes', to='care.learninggoal', verbose_name='goal'),
        ),
        migrations.AddField(
            model_name='learningnote',
            name='written_by',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='written by'),
        ),
        migrations.AddIndex(
            model_name='interestactivity',
            index=models.Index(fields=['child', 'done_on'], name='interest_child_day_idx'),
        ),
        migrations.AddIndex(
            model_name='learninggoal',
            index=models.Index(fields=['child', 'state'], name='learning_goal_child_idx'),
        ),
        migrations.AddConstraint(
            model_name='learninggoal',
            constraint=models.CheckConstraint(condition=models.Q(('state__in', ['active', 'achieved', 'dropped'])), name='learning_goal_state_known'),
        ),
        migrations.AddConstraint(
            model_name='learninggoal',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('ended_on__isnull', True), ('state', 'active')), models.Q(models.Q(('state', 'active'), _negated=True), ('ended_on__isnull', False)), _connector='OR'), name='learning_goal_ended_with_state'),
        ),
        migrations.AddConstraint(
            model_name='learninggoal',
            constraint=models.CheckConstraint(condition=models.Q(('ended_on__isnull', True), ('ended_on__gte', models.F('started_on')), _connector='OR'), name='learning_goal_ends_after_start'),
        ),
        migrations.AddIndex(
            model_name='learningnote',
            index=models.Index(fields=['goal', 'noted_on'], name='learning_note_goal_idx'),
        ),
    ]
