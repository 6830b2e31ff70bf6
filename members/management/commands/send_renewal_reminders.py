"""Renewal reminders, run hourly by the operator (a systemd timer): records the reminders due now
(7 days and 1 day before a membership that nothing renews by itself ends, and once it has ended)
and enqueues one background task per email; the task worker sends them and retries failures.
Running it twice, or twice at once, sends nothing twice."""

from django.core.management.base import BaseCommand

from members.tasks import renewal_reminders_run


class Command(BaseCommand):
    help = "Record the renewal reminders due now and enqueue their emails (run hourly)."

    def handle(self, *args, **options):
        due, enqueued = renewal_reminders_run()
        self.stdout.write(f"reminders due now: {due}; emails enqueued: {enqueued}")
