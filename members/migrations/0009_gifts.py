"""Gifts: an order bought for someone else and the code it makes, and voided codes (a refunded gift's)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0008_renewal_reminders'),
    ]

    operations = [
        migrations.AddField(
            model_name='redeemcode',
            name='voided_at',
            field=models.DateTimeField(blank=True, help_text="A refunded or disputed gift's code can no longer be redeemed.", null=True, verbose_name='voided'),
        ),
        migrations.CreateModel(
            name='Gift',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('message', models.CharField(blank=True, help_text='Plain text from the buyer to the recipient.', max_length=200, verbose_name='message')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('code', models.OneToOneField(blank=True, help_text='Made when the order is paid.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='gift', to='members.redeemcode', verbose_name='redeem code')),
                ('order', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='gift', to='members.order', verbose_name='order')),
            ],
            options={
                'verbose_name': 'gift',
                'verbose_name_plural': 'gifts',
                'ordering': ['-created_at'],
            },
        ),
    ]
