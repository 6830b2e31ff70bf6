"""Private feed keys, new-article emails and the per-column email setting."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("articles", "0001_initial"),
        ("members", "0005_subscriptions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="membership",
            name="email_new_articles",
            field=models.BooleanField(default=True, help_text="Send the reader each new article of this column by email.", verbose_name="email new articles"),
        ),
        migrations.CreateModel(
            name="NewArticleAnnouncement",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("recipients", models.PositiveIntegerField(default=0, verbose_name="recipients")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="announced")),
                ("article", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="announcement", to="articles.article", verbose_name="article")),
            ],
            options={
                "verbose_name": "new article announcement",
                "verbose_name_plural": "new article announcements",
                "ordering": ["-created_at"],
            },
        ),
        migrations.CreateModel(
            name="FeedKey",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("secret", models.CharField(editable=False, max_length=64, unique=True, verbose_name="secret")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                ("revoked_at", models.DateTimeField(blank=True, null=True, verbose_name="revoked")),
                ("last_used_at", models.DateTimeField(blank=True, editable=False, null=True, verbose_name="last fetched")),
                ("column", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="feed_keys", to="articles.column", verbose_name="column")),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="feed_keys", to=settings.AUTH_USER_MODEL, verbose_name="reader")),
            ],
            options={
                "verbose_name": "private feed key",
                "verbose_name_plural": "private feed keys",
                "ordering": ["-created_at"],
                "constraints": [models.UniqueConstraint(condition=models.Q(("revoked_at__isnull", True)), fields=("user", "column"), name="one_live_feed_key_per_reader_and_column")],
            },
        ),
        migrations.CreateModel(
            name="NewArticleEmail",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("status", models.CharField(choices=[("pending", "waiting"), ("sending", "being sent"), ("sent", "sent"), ("failed", "failed, will be retried"), ("abandoned", "given up"), ("skipped", "not sent: no longer a member or switched off")], default="pending", max_length=10, verbose_name="status")),
                ("attempts", models.PositiveSmallIntegerField(default=0, verbose_name="attempts")),
                ("last_error", models.CharField(blank=True, max_length=300, verbose_name="last error")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="modified")),
                ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="sent")),
                ("article", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="new_article_emails", to="articles.article", verbose_name="article")),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="new_article_emails", to=settings.AUTH_USER_MODEL, verbose_name="reader")),
            ],
            options={
                "verbose_name": "new article email",
                "verbose_name_plural": "new article emails",
                "ordering": ["-created_at"],
                "indexes": [models.Index(fields=["status", "updated_at"], name="new_article_email_queue_idx")],
                "constraints": [models.UniqueConstraint(fields=("article", "user"), name="one_new_article_email_per_reader")],
            },
        ),
    ]
