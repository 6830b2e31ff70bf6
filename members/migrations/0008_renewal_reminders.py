"""Renewal reminders: one row per reminder about one end date, and the per-membership setting."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0007_read_all_articles_permission'),
    ]

    operations = [
        migrations.AddField(
            model_name='membership',
            name='email_renewal_reminders',
            field=models.BooleanField(default=True, help_text='Email the reader before and when a membership that does not renew by itself ends.', verbose_name='renewal reminders'),
        ),
        migrations.CreateModel(
            name='RenewalReminder',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('7_days', '7 days before the end'), ('1_day', '1 day before the end'), ('expired', 'on expiry')], max_length=10, verbose_name='kind')),
                ('ends_at', models.DateTimeField(help_text='The end date this reminder is about.', verbose_name='membership ends')),
                ('status', models.CharField(choices=[('pending', 'waiting'), ('sending', 'being sent'), ('sent', 'sent'), ('failed', 'failed, will be retried'), ('abandoned', 'given up'), ('skipped', 'not sent: renewed, revoked or switched off')], default='pending', max_length=10, verbose_name='status')),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='attempts')),
                ('last_error', models.CharField(blank=True, max_length=300, verbose_name='last error')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='modified')),
                ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent')),
                ('membership', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='renewal_reminders', to='members.membership', verbose_name='membership')),
            ],
            options={
                'verbose_name': 'renewal reminder',
                'verbose_name_plural': 'renewal reminders',
                'ordering': ['-created_at'],
                'indexes': [models.Index(fields=['status', 'updated_at'], name='renewal_reminder_queue_idx')],
                'constraints': [models.UniqueConstraint(fields=('membership', 'kind', 'ends_at'), name='one_renewal_reminder_per_kind_and_end')],
            },
        ),
    ]
