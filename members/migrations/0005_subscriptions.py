import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0002_import_batches"),
        ("members", "0004_coupons_and_referrals"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='order',
            name='disputed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='disputed'),
        ),
        migrations.AddField(
            model_name='order',
            name='is_automatic_renewal',
            field=models.BooleanField(default=False, verbose_name='automatic renewal payment'),
        ),
        migrations.AddField(
            model_name='order',
            name='provider_invoice_id',
            field=models.CharField(blank=True, db_index=True, max_length=200, verbose_name='invoice'),
        ),
        migrations.AddField(
            model_name='order',
            name='renews_automatically',
            field=models.BooleanField(default=False, help_text='The reader chose yearly automatic renewal at checkout.', verbose_name='renews automatically'),
        ),
        migrations.AlterField(
            model_name='order',
            name='status',
            field=models.CharField(choices=[('pending', 'awaiting payment'), ('paid', 'paid'), ('failed', 'payment failed'), ('cancelled', 'cancelled'), ('refunded', 'refunded'), ('disputed', 'disputed: access paused'), ('chargeback', 'charged back')], default='pending', max_length=10, verbose_name='status'),
        ),
        migrations.CreateModel(
            name='Subscription',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('provider', models.CharField(max_length=20, verbose_name='payment method')),
                ('provider_subscription_id', models.CharField(max_length=200, unique=True, verbose_name='subscription id')),
                ('status', models.CharField(choices=[('incomplete', 'awaiting the first payment'), ('active', 'active'), ('trialing', 'trial'), ('past_due', 'renewal payment failed'), ('unpaid', 'unpaid'), ('paused', 'paused'), ('canceled', 'ended'), ('incomplete_expired', 'never paid')], default='incomplete', max_length=20, verbose_name='status')),
                ('cancel_at_period_end', models.BooleanField(default=False, verbose_name='cancels at the period end')),
                ('current_period_end', models.DateTimeField(blank=True, null=True, verbose_name='current period ends')),
                ('synced_at', models.DateTimeField(blank=True, help_text='Older notifications arriving late do not overwrite newer state.', null=True, verbose_name='provider state as of')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='modified')),
                ('column', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='subscriptions', to='articles.column', verbose_name='column')),
                ('plan', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='subscriptions', to='members.plan', verbose_name='plan')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='subscriptions', to=settings.AUTH_USER_MODEL, verbose_name='reader')),
            ],
            options={
                'verbose_name': 'subscription',
                'verbose_name_plural': 'subscriptions',
                'ordering': ['-created_at'],
            },
        ),
        migrations.AddField(
            model_name='order',
            name='subscription',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='orders', to='members.subscription', verbose_name='subscription'),
        ),
        migrations.AddConstraint(
            model_name='order',
            constraint=models.UniqueConstraint(condition=models.Q(('is_automatic_renewal', True)), fields=('provider', 'provider_invoice_id'), name='one_renewal_order_per_invoice'),
        ),
        migrations.AddIndex(
            model_name='subscription',
            index=models.Index(fields=['user', 'column'], name='subscription_user_column_idx'),
        ),
    ]
