"""Run every few minutes (cron or a systemd timer): announce articles that became visible (scheduled
ones whose time came) and send or retry queued new-article emails. Imported articles and articles
published more than DJANGO_NEW_ARTICLE_EMAIL_DAYS ago are never announced."""

from django.core.management.base import BaseCommand

from members.notifications import new_article_emails_run


class Command(BaseCommand):
    help = "Email members the new articles of their columns (once each), and retry failed emails."

    def handle(self, *args, **options):
        announced, report = new_article_emails_run()
        self.stdout.write(
            f"announced to {announced} readers; sent {report.sent}, failed {report.failed}, skipped {report.skipped}"
        )
        for error in report.errors[:20]:
            self.stderr.write(error)
