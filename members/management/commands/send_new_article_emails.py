"""New-article emails by hand. Tasks send them on their own (members.tasks: announced when an
article is published or its scheduled time comes, failures retried later), so no cron job is
needed; this is the manual trigger and the safety net: it announces visible articles that were
missed (a process stopped before enqueueing; the "immediate" task backend, which cannot wait for
scheduled articles) and sends everything queued, retrying failed emails at once. Imported articles
and articles published more than DJANGO_NEW_ARTICLE_EMAIL_DAYS ago are never announced."""

from django.core.management.base import BaseCommand

from members.tasks import new_article_emails_run


class Command(BaseCommand):
    help = "Announce new articles that were missed and send or retry all queued new-article emails now (tasks do this on their own; no cron job needed)."

    def handle(self, *args, **options):
        announced, report = new_article_emails_run()
        self.stdout.write(f"announced to {announced} readers; sent {report.sent}, failed {report.failed}, skipped {report.skipped}")
        for error in report.errors[:20]:
            self.stderr.write(error)
