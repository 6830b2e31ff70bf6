from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from articles.models import Column
from members.exports.archive import DestinationExists, folder_in_place, zip_in_place
from members.exports.column import column_export_write


class Command(BaseCommand):
    help = "Export a column for its author: articles as Markdown with their images, members.csv and orders.csv (members/exports/)."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the column's slug")
        parser.add_argument("--output", required=True, help="an existing folder; the export becomes <slug>/ or <slug>.zip inside it")
        parser.add_argument("--zip", action="store_true", help="write <slug>.zip instead of a folder")

    def handle(self, *args, slug, output, zip, **options):
        column = Column.objects.filter(slug=slug).first()
        if column is None:
            raise CommandError(f"No column with the slug “{slug}”.")
        folder = Path(output)
        if not folder.is_dir():
            raise CommandError(f"{output}: no such folder.")
        destination = folder / (f"{column.slug}.zip" if zip else column.slug)
        in_place = zip_in_place if zip else folder_in_place
        try:
            with in_place(destination) as write:
                summary = column_export_write(column=column, write=write, progress=self.progress)
        except DestinationExists:
            raise CommandError(f"{destination} exists already; nothing was written. Move it away or choose another --output.") from None
        self.stdout.write(f"{destination}: {summary.articles} articles, {summary.images} images, {summary.members} memberships, {summary.orders} orders.")
        for address in summary.missing_images:
            self.stderr.write(f"Image file missing, left linked as it was: {address}")

    def progress(self, done: int, total: int) -> None:
        # Every article of a small column; about every percent of a large one.
        if done == total or done % max(total // 100, 1) == 0:
            self.stdout.write(f"{done}/{total} articles", ending="\r" if done < total else "\n")
            self.stdout.flush()
