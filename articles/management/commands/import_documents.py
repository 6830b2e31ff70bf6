from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from articles.importers.base import FORMATS, SPLITS
from articles.importers.report import format_report
from articles.importers.service import ImportOptions, Upload, import_uploads


class Command(BaseCommand):
    help = "Import documents (xiaobot pages, Feishu Markdown, Markdown, plain-text books, or zips of them)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="files or folders; folders are read one level deep")
        parser.add_argument("--column", default="", help="slug of an existing column to import into")
        parser.add_argument("--format", choices=FORMATS, help="skip detection and read every file as this format")
        parser.add_argument("--split", choices=SPLITS, default="auto", help="one article per chapter/heading, or whole")
        parser.add_argument("--free", type=int, dest="free_first", help="the first N articles of each document are free")
        parser.add_argument("--draft", action="store_true", help="import as drafts instead of publishing")
        parser.add_argument("--dry-run", action="store_true", help="show what would change and write nothing")

    def handle(self, *args, paths, column, format, split, free_first, draft, dry_run, **options):
        uploads = []
        for raw in paths:
            path = Path(raw)
            if path.is_dir():
                uploads.extend(Upload(child.name, child.read_bytes()) for child in sorted(path.iterdir()) if child.is_file())
            elif path.is_file():
                uploads.append(Upload(path.name, path.read_bytes()))
            else:
                raise CommandError(f"{raw}: no such file or folder.")
        report = import_uploads(
            uploads=uploads,
            options=ImportOptions(column_slug=column, format=format, split=split, free_first=free_first, publish=not draft),
            dry_run=dry_run,
        )
        self.stdout.write(format_report(report))
        if not report.ok:
            raise CommandError(f"{len(report.failed)} of {len(report.files)} files failed.")
