"""Run before starting a task worker (make run and the systemd unit do): admin imports whose run
stopped without finishing (the worker was restarted or killed) are queued again and continue where
they stopped; documents already imported are not imported twice."""

from django.core.management.base import BaseCommand

from articles.importers.batches import batches_to_resume, import_batch_resume


class Command(BaseCommand):
    help = "Queue again the admin imports whose background run stopped without finishing."

    def add_arguments(self, parser):
        parser.add_argument(
            "--restarted-worker",
            default="",
            help="the --worker-id of the db_worker about to start: imports it was running when it stopped are resumed at once",
        )

    def handle(self, *args, restarted_worker, **options):
        resumed = 0
        for batch in batches_to_resume(restarted_worker=restarted_worker):
            import_batch_resume(batch_id=batch.pk, restarted_worker=restarted_worker)
            self.stdout.write(f"resumed import {batch.pk} ({batch})")
            resumed += 1
        if options["verbosity"] > 1 or resumed:
            self.stdout.write(f"{resumed} import(s) resumed.")
