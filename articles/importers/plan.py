"""Decides what importing one parsed document does to each of its articles, before a row is written.

An article is known across re-imports by its import key, "<source>#<identity>" (identity.py):
the same post of the same source finds the same article, whatever its place in the listing. A
later snapshot therefore adds the posts it has not seen, updates the ones whose imported text
changed (unless an editor has changed them since), and leaves every other article as it is:
nothing is deleted, renamed or given another post's text. Posts imported before keys were
normalized are found again by their titles.

The plan only reads: it looks up the articles already imported and prepares the new and changed
ones in memory, rendered; apply.py writes them.
"""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db.models.functions import Left
from django.utils import timezone

from articles.importers.base import ParsedArticle, ParsedDocument
from articles.importers.identity import distinct, normalize_title, title_identity
from articles.importers.results import Action, ArticleOutcome, FileReport
from articles.importers.stored_images import DocumentImages
from articles.markdown import html_to_text
from articles.models import SEARCH_FIELDS, Article, Column, Section

IMPORT_REF_MAX_CHARS = 200  # Article.import_ref
COLUMN_REF_MAX_CHARS = 300  # Column.import_ref
# A source longer than this is named by its digest, so every key of it keeps the same prefix.
SOURCE_MAX_CHARS = 150
LEADING_DIGITS_RE = re.compile(r"^[0-9]+")


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


@dataclass
class DocumentPlan:
    """What writing a document does to each of its articles."""

    # New articles, unsaved and not yet numbered, each with the index of its parsed article.
    new_articles: list[tuple[int, Article]] = field(default_factory=list)
    changed: list[Article] = field(default_factory=list)
    rekeyed: list[Article] = field(default_factory=list)  # unchanged, found by title: only the key is written
    tag_changes: list[tuple[Article, tuple[str, ...]]] = field(default_factory=list)
    located: list[tuple[ArticleOutcome, Article]] = field(default_factory=list)  # the URL is known once written
    not_listed: list[str] = field(default_factory=list)  # the titles of the source's articles the document no longer lists


class DocumentPlanner:
    """Plans one parsed document into its column; the warnings and the outcome of each article go
    into the file's report as they are decided."""

    def __init__(self, *, parsed: ParsedDocument, filename: str, options, report: FileReport, images: DocumentImages):
        self.parsed = parsed
        self.filename = filename
        self.options = options
        self.report = report
        self.images = images

    def plan(self, *, column: Column, sections: dict[str, Section], column_created: bool) -> DocumentPlan:
        source = source_key(self.parsed.source_url or (self.parsed.column.source_url if self.parsed.column else "") or f"file:{self.filename}")
        identities = distinct([article.identity or title_identity(article.title) for article in self.parsed.articles])
        refs = [import_ref(source, identity) for identity in identities]
        existing = [] if column_created else self.existing_articles(column, source)
        matches = self.match(refs, existing)
        default_published_at = self.default_published_at()
        free_first = self.free_first_count()

        plan = DocumentPlan()
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
                plan.new_articles.append((index, article))
                if parsed_article.tags:
                    plan.tag_changes.append((article, parsed_article.tags))
                action = Action.CREATE
            elif content_digest(article.title, article.body) != article.import_digest:
                action = Action.KEPT_EDITED
                self.report.warnings.append(f"《{article.title}》导入后已被编辑，未覆盖编辑者的修改。")
            elif digest == article.import_digest and details == article.import_details_digest:
                action = Action.UNCHANGED
                if article.import_ref != ref:  # found by its title: it keeps the key it has now
                    article.import_ref = ref
                    plan.rekeyed.append(article)
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
                plan.changed.append(article)
                if parsed_article.tags and sorted(parsed_article.tags) != sorted(tag.name for tag in article.tags.all()):
                    plan.tag_changes.append((article, parsed_article.tags))
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
            plan.located.append((outcome, article))

        matched = {article.pk for article in matches.values()}
        plan.not_listed = [article.title for article in existing if article.pk not in matched]
        return plan

    # Finding the articles already imported

    def existing_articles(self, column: Column, source: str) -> list[Article]:
        """The column's articles imported from this source before. The stored HTML is replaced by
        render() whenever it is written, so it is not read."""
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

    # Access and dates of new articles

    def free_first_count(self) -> int:
        if self.options.free_first is not None:
            return self.options.free_first
        return 1 if len(self.parsed.articles) > 1 and self.parsed.column is None else 0

    def access_for(self, article: ParsedArticle, index: int, free_first: int) -> str:
        if article.full_text_missing:
            return Article.Access.MEMBERS
        if article.access and self.options.free_first is None:
            # The document says so (front matter: the portal's own export does), and the editor
            # did not choose for the whole import.
            return article.access
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
