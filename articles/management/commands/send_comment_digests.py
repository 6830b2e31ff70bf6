"""Comment emails, by hand or from an hourly timer: records each author's digest of new comments
on their columns (at most one an hour) and enqueues it, and enqueues again every comment email
whose task did not send it. The task worker defers a digest run to each full hour by itself; this
is the safety net, and what sends digests where the task backend cannot defer."""

from django.core.management.base import BaseCommand

from articles.comments.tasks import comment_digests_run


class Command(BaseCommand):
    help = "Record the comment digests due now and enqueue every comment email waiting (run hourly)."

    def handle(self, *args, **options):
        enqueued = comment_digests_run()
        self.stdout.write(f"comment emails enqueued: {len(enqueued)}")
