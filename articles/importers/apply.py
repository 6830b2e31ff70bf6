"""Writes one parsed document into the database, inside the caller's transaction: its column and
new sections, then its articles as plan.py decided, in bulk. Nothing is deleted."""

from django.db.models import Max

from articles.importers.base import DocumentError, ParsedDocument
from articles.importers.plan import DocumentPlan, DocumentPlanner, column_import_ref
from articles.importers.results import FileReport
from articles.importers.stored_images import DocumentImages
from articles.models import Article, Author, Column, Section
from articles.services import column_refresh_stats

NOT_LISTED_SHOWN = 100
# A column an import writes into is only looked up and updated field by field: its texts stay unread.
COLUMN_TEXTS = ("intro", "intro_html", "search_document")
# Fields a re-import writes to an article whose imported text changed (bulk_update runs no save()).
UPDATED_FIELDS = [
    "title",
    "body",
    "body_html",
    "preview_html",
    "has_more",
    "summary",
    "word_count",
    "description",
    "search_title",
    "search_preview",
    "search_body",
    "section",
    "full_text_missing",
    "source_url",
    "published_at",
    "import_ref",
    "import_digest",
    "import_details_digest",
    "updated_at",
]


class DocumentWriter:
    def __init__(self, *, parsed: ParsedDocument, filename: str, folder: str, uploads: dict[str, bytes], options, report: FileReport):
        self.parsed = parsed
        self.filename = filename
        self.options = options
        self.report = report
        self.images = DocumentImages(folder=folder, uploads=uploads, warnings=report.warnings)
        self.column_created = False  # by this transaction, so it has no sections or articles to look up yet

    def write(self) -> None:
        column = self.target_column()
        sections = self.sections_for(column)
        planner = DocumentPlanner(parsed=self.parsed, filename=self.filename, options=self.options, report=self.report, images=self.images)
        plan = planner.plan(column=column, sections=sections, column_created=self.column_created)
        self.write_articles(column, plan)
        self.report.not_listed = plan.not_listed[:NOT_LISTED_SHOWN]
        if len(plan.not_listed) > NOT_LISTED_SHOWN:
            self.report.not_listed.append(f"……等共 {len(plan.not_listed)} 篇")
        self.report.dropped_lines = list(self.parsed.dropped_lines)
        if plan.new_articles or plan.changed:
            column_refresh_stats(column_id=column.pk)
        self.images.store_on_commit()

    def write_articles(self, column: Column, plan: DocumentPlan) -> None:
        self.number_new_articles(column, plan.new_articles)
        Article.objects.bulk_create([article for _, article in plan.new_articles], batch_size=500)
        for outcome, article in plan.located:
            # New articles have their primary keys only now, after bulk_create.
            outcome.url = article.get_absolute_url()
        if plan.changed:
            Article.objects.bulk_update(plan.changed, UPDATED_FIELDS, batch_size=500)
        if plan.rekeyed:
            Article.objects.bulk_update(plan.rekeyed, ["import_ref"], batch_size=500)
        for article, tags in plan.tag_changes:
            article.tags.set(list(tags))  # the tags' search document follows them (articles/signals.py)

    # The column

    def target_column(self) -> Column:
        if self.options.column_slug:
            column = Column.objects.filter(slug=self.options.column_slug).defer(*COLUMN_TEXTS).first()
            if column is None:
                raise DocumentError(self.filename, f"找不到专栏“{self.options.column_slug}”。")
            self.note_column(column, "existing")
            if self.parsed.column is not None:
                self.update_column_figures(column)
            return column
        ref = column_import_ref(self.parsed)
        column = Column.objects.filter(import_ref=ref).defer(*COLUMN_TEXTS).order_by("pk").first()  # import_ref is unique
        if column is not None:
            self.note_column(column, "existing")
            if self.parsed.column is not None:
                self.update_column_figures(column)
            return column
        column = self.create_column(ref)
        self.column_created = True
        self.note_column(column, "create")
        return column

    def note_column(self, column: Column, action: str) -> None:
        self.report.column_title = column.title
        self.report.column_action = action
        self.report.column_url = column.get_absolute_url()

    def create_column(self, ref: str) -> Column:
        described = self.parsed.column
        column = Column(
            title=(described.title if described else self.parsed.title)[:120],
            intro=described.intro_markdown if described else "",
            status=Column.Status.PUBLISHED if self.options.publish else Column.Status.DRAFT,
            stated_reader_count=(described.stated_reader_count or 0) if described else 0,
            stated_article_count=described.stated_article_count if described else None,
            source_url=(described.source_url if described else self.parsed.source_url)[:500],
            source_updated_on=described.updated_on if described else None,
            import_ref=ref,
        )
        column.save()
        if described and described.author_name:
            author = Author.objects.filter(display_name=described.author_name).first() or Author.objects.create(display_name=described.author_name[:80])
            column.authors.add(author)
        return column

    def update_column_figures(self, column: Column) -> None:
        """A newer page of the same source updates the figures it states; an older one does not."""
        described = self.parsed.column
        if column.source_updated_on and described.updated_on and described.updated_on < column.source_updated_on:
            self.report.warnings.append("这份页面比已导入的版本旧，专栏的读者数等数字保持不变。")
            return
        fields = {
            "stated_reader_count": described.stated_reader_count,
            "stated_article_count": described.stated_article_count,
            "source_updated_on": described.updated_on,
        }
        fields = {name: value for name, value in fields.items() if value is not None and getattr(column, name) != value}
        if fields:
            Column.objects.filter(pk=column.pk).update(**fields)
            for name, value in fields.items():
                setattr(column, name, value)
            self.report.column_action = "update"

    # Sections and numbers

    def sections_for(self, column: Column) -> dict[str, Section]:
        # In the order the column's articles run: by stated number, else oldest first.
        count = len(self.parsed.articles)
        first_place: dict[str, int] = {}
        for index, article in enumerate(self.parsed.articles):
            place = article.number if article.number is not None else (count - index if self.parsed.newest_first else index)
            if article.section:
                first_place[article.section] = min(place, first_place.get(article.section, place))
        names = sorted(first_place, key=first_place.get)
        sections = (
            {}
            if self.column_created or not names
            else {section.title: section for section in Section.objects.filter(column=column, title__in=names).order_by()}
        )
        missing = [name for name in names if name not in sections]
        position = 0
        if missing and not self.column_created:
            position = Section.objects.filter(column=column).aggregate(last=Max("position"))["last"] or 0
        new_sections = []
        for name in missing:
            position += 1
            sections[name] = Section(column=column, title=name[:120], position=position)
            new_sections.append(sections[name])
            self.report.sections_created.append(name)
        if new_sections:
            Section.objects.bulk_create(new_sections)  # SQLite and PostgreSQL set the new primary keys
        return sections

    def number_new_articles(self, column: Column, new_articles: list[tuple[int, Article]]) -> None:
        """A column page's own numbers where they are free; every other new article after the
        column's last one, oldest first."""
        if not new_articles:
            return
        taken = set() if self.column_created else set(Article.objects.filter(column=column).order_by().values_list("number", flat=True))
        unnumbered = []
        for index, article in new_articles:
            stated = self.parsed.articles[index].number
            if self.keeps_numbers() and stated and stated not in taken:
                article.number = stated
                taken.add(stated)
            else:
                unnumbered.append(article)
        if self.parsed.newest_first:
            unnumbered.reverse()
        next_number = max(taken, default=0) + 1
        for article in unnumbered:
            article.number = next_number
            next_number += 1

    def keeps_numbers(self) -> bool:
        """Only a column page's own numbering is the column's order; a document's chapters follow what is there."""
        return self.parsed.column is not None and not self.options.column_slug
