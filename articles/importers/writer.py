"""Writes one parsed document into the database, inside the caller's transaction.

An article is known across re-imports by its import key, "<source>#<identity>" (identity.py):
the same post of the same source finds the same article, whatever its place in the listing. A
later snapshot therefore adds the posts it has not seen, updates the ones whose imported text
changed (unless an editor has changed them since), and leaves every other article as it is:
nothing is deleted, renamed or given another post's text. Posts imported before keys were
normalized are found again by their titles.
"""

import hashlib
import re
from datetime import date, datetime, time

from django.db.models import Max
from django.db.models.functions import Left
from django.utils import timezone

from articles.importers.base import DocumentError, ParsedArticle, ParsedDocument
from articles.importers.identity import distinct, normalize_title, title_identity
from articles.importers.results import Action, ArticleOutcome, FileReport
from articles.importers.stored_images import DocumentImages
from articles.markdown import html_to_text
from articles.models import SEARCH_FIELDS, Article, Author, Column, Section
from articles.services import column_refresh_stats

IMPORT_REF_MAX_CHARS = 200  # Article.import_ref
COLUMN_REF_MAX_CHARS = 300  # Column.import_ref
# A source longer than this is named by its digest, so every key of it keeps the same prefix.
SOURCE_MAX_CHARS = 150
NOT_LISTED_SHOWN = 100
# A column an import writes into is only looked up and updated field by field: its texts stay unread.
COLUMN_TEXTS = ("intro", "intro_html", "search_document")
LEADING_DIGITS_RE = re.compile(r"^[0-9]+")
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


def content_digest(title: str, body: str) -> str:
    return hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()


def details_digest(article: ParsedArticle, source_url: str, stated_at: datetime | None) -> str:
    """What the document states about an article besides its text, as imported."""
    details = [article.section, source_url, article.description, stated_at.isoformat() if stated_at else "", *sorted(article.tags)]
    return hashlib.sha256("\n".join(details).encode()).hexdigest()


def column_import_ref(parsed: ParsedDocument) -> str:
    if parsed.column is not None and parsed.column.source_url:
        return parsed.column.source_url[:COLUMN_REF_MAX_CHARS]
    return (parsed.source_url or f"document:{parsed.title}")[:COLUMN_REF_MAX_CHARS]


def source_key(source: str) -> str:
    if len(source) <= SOURCE_MAX_CHARS:
        return source
    return "sha:" + hashlib.sha256(source.encode()).hexdigest()[:32]


def import_ref(source: str, identity: str) -> str:
    ref = f"{source}#{identity}"
    if len(ref) <= IMPORT_REF_MAX_CHARS:
        return ref
    return f"{source}#h:{hashlib.sha256(identity.encode()).hexdigest()[:32]}"


def title_keys(title: str) -> set[str]:
    """What a title is recognised by when keys do not match: with and without a number in front."""
    normalized = normalize_title(title)
    return {normalized, LEADING_DIGITS_RE.sub("", normalized) or normalized}


def local_datetime(stated: date | datetime) -> datetime:
    """A stated date at 08:00 on that day, a stated time as given, in the site's time zone."""
    if not isinstance(stated, datetime):
        stated = datetime.combine(stated, time(8, 0))
    return stated if timezone.is_aware(stated) else timezone.make_aware(stated)


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
        source = source_key(self.parsed.source_url or (self.parsed.column.source_url if self.parsed.column else "") or f"file:{self.filename}")
        identities = distinct([article.identity or title_identity(article.title) for article in self.parsed.articles])
        refs = [import_ref(source, identity) for identity in identities]
        existing = self.existing_articles(column, source)
        matches = self.match(refs, existing)
        default_published_at = self.default_published_at()
        free_first = self.free_first_count()

        new_articles: list[tuple[int, Article]] = []
        changed: list[Article] = []
        rekeyed: list[Article] = []
        tag_changes: list[tuple[Article, tuple[str, ...]]] = []
        located: list[tuple[ArticleOutcome, Article]] = []
        for index, (parsed_article, ref) in enumerate(zip(self.parsed.articles, refs, strict=True)):
            body, found, missing = self.images.resolve(parsed_article)
            digest = content_digest(parsed_article.title, body)
            section = sections.get(parsed_article.section)
            stated_at = local_datetime(parsed_article.published_at) if parsed_article.published_at else None
            source_url = parsed_article.source_url or self.parsed.source_url
            details = details_digest(parsed_article, source_url, stated_at)
            article = matches.get(index)
            if article is None:
                article = Article(
                    column=column,
                    section=section,
                    number=None,
                    title=parsed_article.title,
                    body=body,
                    description=parsed_article.description,
                    access=self.access_for(parsed_article, index, free_first),
                    status=Article.Status.DRAFT if parsed_article.draft or not self.options.publish else Article.Status.PUBLISHED,
                    published_at=stated_at or default_published_at,
                    source_url=source_url,
                    full_text_missing=parsed_article.full_text_missing,
                    import_ref=ref,
                    import_digest=digest,
                    import_details_digest=details,
                )
                article.render()
                new_articles.append((index, article))
                if parsed_article.tags:
                    tag_changes.append((article, parsed_article.tags))
                action = Action.CREATE
            elif content_digest(article.title, article.body) != article.import_digest:
                action = Action.KEPT_EDITED
                self.report.warnings.append(f"《{article.title}》导入后已被编辑，未覆盖编辑者的修改。")
            elif digest == article.import_digest and details == article.import_details_digest:
                action = Action.UNCHANGED
                if article.import_ref != ref:  # found by its title: it keeps the key it has now
                    article.import_ref = ref
                    rekeyed.append(article)
            else:
                if digest != article.import_digest:
                    if normalize_title(article.title) != normalize_title(parsed_article.title):
                        self.report.warnings.append(f"《{article.title}》在来源中改名为《{parsed_article.title}》，已更新标题。")
                    article.title = parsed_article.title
                    article.body = body
                    article.full_text_missing = parsed_article.full_text_missing
                    article.import_digest = digest
                # What the document states about the article changed (or was never recorded):
                # an editor's own changes to these are kept as long as the document's stay the same.
                article.section = section
                article.source_url = source_url
                article.description = parsed_article.description
                article.published_at = stated_at or article.published_at
                article.import_details_digest = details
                article.import_ref = ref
                article.updated_at = timezone.now()  # bulk_update does not run auto_now
                article.render()
                changed.append(article)
                if parsed_article.tags and sorted(parsed_article.tags) != sorted(tag.name for tag in article.tags.all()):
                    tag_changes.append((article, parsed_article.tags))
                action = Action.UPDATE
            outcome = ArticleOutcome(
                title=parsed_article.title,
                action=action,
                section=parsed_article.section,
                access=article.access,
                characters=len(html_to_text(article.body_html)) if action in (Action.CREATE, Action.UPDATE) else len(body),
                full_text_missing=parsed_article.full_text_missing,
                images_found=found,
                images_missing=missing,
                draft=article.status == Article.Status.DRAFT,
                published_on=timezone.localdate(article.published_at).isoformat(),
            )
            self.report.articles.append(outcome)
            located.append((outcome, article))

        self.number_new_articles(column, new_articles)
        Article.objects.bulk_create([article for _, article in new_articles], batch_size=500)
        for outcome, article in located:
            # New articles have their primary keys only now, after bulk_create.
            outcome.url = article.get_absolute_url()
        if changed:
            Article.objects.bulk_update(changed, UPDATED_FIELDS, batch_size=500)
        if rekeyed:
            Article.objects.bulk_update(rekeyed, ["import_ref"], batch_size=500)
        for article, tags in tag_changes:
            article.tags.set(list(tags))  # the tags' search document follows them (articles/signals.py)
        matched = {article.pk for article in matches.values()}
        not_listed = [article.title for article in existing if article.pk not in matched]
        self.report.not_listed = not_listed[:NOT_LISTED_SHOWN]
        if len(not_listed) > NOT_LISTED_SHOWN:
            self.report.not_listed.append(f"……等共 {len(not_listed)} 篇")
        self.report.dropped_lines = list(self.parsed.dropped_lines)
        if new_articles or changed:
            column_refresh_stats(column_id=column.pk)
        self.images.store_on_commit()

    # Finding the articles already imported

    def existing_articles(self, column: Column, source: str) -> list[Article]:
        """The column's articles imported from this source before. The stored HTML is replaced by
        render() whenever it is written, so it is not read."""
        if self.column_created:
            return []
        # An exact prefix: LIKE (startswith) ignores case on SQLite, and "Notes.md" is not "notes.md".
        prefix = f"{source}#"
        articles = (
            Article.objects.filter(column=column)
            .annotate(source_prefix=Left("import_ref", len(prefix)))
            .filter(source_prefix=prefix)
            .defer("body_html", "preview_html", *SEARCH_FIELDS)
            .order_by("number")
        )
        if any(article.tags for article in self.parsed.articles):
            articles = articles.prefetch_related("tags")
        return list(articles)

    def match(self, refs: list[str], existing: list[Article]) -> dict[int, Article]:
        """Parsed article index → the existing article it is: by key first, then, for keys not
        found, by title among the articles no key claimed (one title, one article)."""
        by_ref = {article.import_ref: article for article in existing}
        matches = {index: by_ref[ref] for index, ref in enumerate(refs) if ref in by_ref}
        claimed = {article.pk for article in matches.values()}
        by_title: dict[str, list[Article]] = {}
        for article in existing:
            if article.pk not in claimed:
                for key in title_keys(article.title):
                    by_title.setdefault(key, []).append(article)
        for index, parsed_article in enumerate(self.parsed.articles):
            if index in matches:
                continue
            candidates = {article.pk: article for key in title_keys(parsed_article.title) for article in by_title.get(key, []) if article.pk not in claimed}
            if len(candidates) == 1:
                article = next(iter(candidates.values()))
                matches[index] = article
                claimed.add(article.pk)
        return matches

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

    # Sections, numbers, access, dates

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

    def free_first_count(self) -> int:
        if self.options.free_first is not None:
            return self.options.free_first
        return 1 if len(self.parsed.articles) > 1 and self.parsed.column is None else 0

    def access_for(self, article: ParsedArticle, index: int, free_first: int) -> str:
        if article.full_text_missing:
            return Article.Access.MEMBERS
        if index < free_first:
            return Article.Access.FREE
        if self.parsed.column is not None and self.options.free_first is None:
            # A column page shows some posts in full: those are its free samples (试读).
            return Article.Access.FREE
        return Article.Access.MEMBERS

    def default_published_at(self) -> datetime:
        """When the document states no date for an article: the column page's last update, else now."""
        described = self.parsed.column
        if described and described.updated_on:
            return local_datetime(described.updated_on)
        return timezone.now()
