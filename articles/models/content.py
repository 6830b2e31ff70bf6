"""Columns, their sections and articles, and who writes them: what readers read."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager

from articles.image_fields import CleanImageField
from articles.markdown import (
    count_words,
    cut_preview,
    excerpt,
    html_to_text,
    reading_minutes,
    render_markdown,
    strip_cut_marker,
)
from articles.search_index import column_document
from articles.segmenting import index_text
from articles.slugs import slug_for_title, unique_slug


class Category(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            base = slug_for_title(self.name, fallback="category")
            self.slug = unique_slug(base, lambda slug: Category.objects.filter(slug=slug).exists())
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("articles:category", kwargs={"slug": self.slug})


class Author(models.Model):
    display_name = models.CharField(_("display name"), max_length=80)
    slug = models.SlugField(_("slug"), max_length=60, unique=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="author_profile",
    )
    avatar = CleanImageField(_("avatar"), upload_to="avatars/%Y/", blank=True)
    bio = models.TextField(_("biography"), blank=True)

    class Meta:
        ordering = ["display_name"]
        verbose_name = _("author")
        verbose_name_plural = _("authors")

    def __str__(self):
        return self.display_name

    def save(self, *args, **kwargs):
        if not self.slug:
            base = slug_for_title(self.display_name, fallback="author")
            self.slug = unique_slug(base, lambda slug: Author.objects.filter(slug=slug).exists())
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("articles:author", kwargs={"slug": self.slug})


class ColumnQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Column.Status.PUBLISHED)


class Column(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")

    title = models.CharField(_("title"), max_length=120)
    slug = models.SlugField(
        _("slug"), max_length=60, unique=True, blank=True, help_text=_("Part of the column's address; leave empty to derive it from the title.")
    )
    tagline = models.CharField(_("tagline"), max_length=200, blank=True)
    intro = models.TextField(_("introduction (Markdown)"), blank=True)
    intro_html = models.TextField(_("introduction (HTML)"), blank=True, editable=False)
    cover = CleanImageField(_("cover image"), upload_to="covers/%Y/", blank=True)
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.SET_NULL, null=True, blank=True, related_name="columns")
    authors = models.ManyToManyField(Author, verbose_name=_("authors"), related_name="columns", blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    is_free = models.BooleanField(_("free column"), default=False, help_text=_("Every article opens in full for everyone; the column has no prices."))
    offers_epub = models.BooleanField(
        _("EPUB download for members"),
        default=True,
        help_text=_("Readers who may read the column in full can download the articles they may read as an EPUB book."),
    )
    stated_reader_count = models.PositiveIntegerField(
        _("stated reader count"), default=0, help_text=_("Readers the column had before it came here (from an import).")
    )
    stated_article_count = models.PositiveIntegerField(_("stated article count"), null=True, blank=True)
    source_url = models.URLField(_("source"), max_length=500, blank=True)
    source_updated_on = models.DateField(_("source last updated"), null=True, blank=True)
    import_ref = models.CharField(_("import reference"), max_length=300, blank=True, editable=False)
    article_count = models.PositiveIntegerField(_("published articles"), default=0, editable=False)
    last_published_at = models.DateTimeField(_("last update"), null=True, blank=True, editable=False)
    # Search tokens (articles/segmenting.py) of the title, tagline, introduction and authors' names;
    # PostgreSQL indexes them as a generated tsvector (articles/search_index.py).
    search_document = models.TextField(_("search tokens"), blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modified"), auto_now=True)

    objects = ColumnQuerySet.as_manager()

    class Meta:
        ordering = [models.F("last_published_at").desc(nulls_last=True), "-created_at"]
        verbose_name = _("column")
        verbose_name_plural = _("columns")
        constraints = [
            models.UniqueConstraint(fields=["import_ref"], condition=~Q(import_ref=""), name="unique_column_import_ref"),
        ]
        indexes = [
            models.Index(fields=["status", "-last_published_at"], name="column_listing_idx"),
            models.Index(fields=["category", "status", "-last_published_at"], name="column_category_idx"),
            # Which columns are published, and which free, without reading the wide rows: searches
            # join and filter every matching article on these.
            models.Index(fields=["status", "id"], name="column_published_idx"),
            models.Index(fields=["id"], condition=Q(is_free=True), name="column_free_idx"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if not self.slug:
            base = slug_for_title(self.title, fallback="column")
            self.slug = unique_slug(base, lambda slug: Column.objects.filter(slug=slug).exclude(pk=self.pk).exists())
        self.intro_html = render_markdown(self.intro)
        author_names = list(self.authors.values_list("display_name", flat=True)) if self.pk else []
        self.search_document = self.render_search_document(author_names)
        super().save(*args, **kwargs)

    def render_search_document(self, author_names: list[str]) -> str:
        """What the column is found by; its authors change apart from saves (articles/signals.py)."""
        return column_document(title=self.title, tagline=self.tagline, intro_html=self.intro_html, author_names=author_names)

    def get_absolute_url(self):
        return reverse("articles:column", kwargs={"slug": self.slug})

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED

    @property
    def intro_text(self):
        return excerpt(html_to_text(self.intro_html), 160)


class Section(models.Model):
    column = models.ForeignKey(Column, verbose_name=_("column"), on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(_("title"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["column", "position", "id"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        constraints = [models.UniqueConstraint(fields=["column", "title"], name="unique_section_title_per_column")]

    def __str__(self):
        return f"{self.column.title} · {self.title}"


# The stored search documents: large, and read only by the search index itself.
SEARCH_FIELDS = ("search_title", "search_tags", "search_preview", "search_body")


class ArticleQuerySet(models.QuerySet):
    def published(self):
        return self.filter(
            status=Article.Status.PUBLISHED,
            published_at__lte=timezone.now(),
            column__status=Column.Status.PUBLISHED,
        )

    def published_by_subquery(self, at=None):
        """The rows of published() (as of `at`, by default now), the columns' status asked
        through a subquery of the few columns that are not published rather than a join: cheaper
        where thousands of rows are filtered (a search's matches) and no column field is wanted."""
        unpublished = Column.objects.exclude(status=Column.Status.PUBLISHED).values("pk")
        published_at = timezone.now() if at is None else at
        return self.filter(status=Article.Status.PUBLISHED, published_at__lte=published_at).exclude(column_id__in=unpublished)

    def for_listing(self):
        """What a list of articles shows; the bodies stay in the database."""
        return self.select_related("column", "section").defer("body", "body_html", "preview_html", *SEARCH_FIELDS)


class Article(models.Model):
    class Access(models.TextChoices):
        FREE = "free", _("free to read")
        MEMBERS = "members", _("members only")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")

    column = models.ForeignKey(Column, verbose_name=_("column"), on_delete=models.CASCADE, related_name="articles")
    section = models.ForeignKey(Section, verbose_name=_("section"), on_delete=models.SET_NULL, null=True, blank=True, related_name="articles")
    number = models.PositiveIntegerField(_("number"), help_text=_("Order within the column; empty to put it last."), blank=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(
        _("body (Markdown)"),
        blank=True,
        help_text=_("Put &lt;!-- more --&gt; on a line of its own to end the free preview there; otherwise it ends after the first few paragraphs."),
    )
    body_html = models.TextField(_("body (HTML)"), blank=True, editable=False)
    preview_html = models.TextField(_("preview (HTML)"), blank=True, editable=False)
    has_more = models.BooleanField(_("preview is cut"), default=False, editable=False)
    description = models.CharField(
        _("summary (optional)"),
        max_length=200,
        blank=True,
        help_text=_("Shown in lists, search results and link previews. Empty: the opening of the free preview."),
    )
    summary = models.CharField(_("summary"), max_length=200, blank=True, editable=False)
    word_count = models.PositiveIntegerField(_("words"), default=0, editable=False)
    access = models.CharField(_("access"), max_length=10, choices=Access.choices, default=Access.MEMBERS)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PUBLISHED)
    published_at = models.DateTimeField(_("publication date"), default=timezone.now)
    pinned = models.BooleanField(_("pinned"), default=False)
    tags = TaggableManager(verbose_name=_("tags"), blank=True)
    source_url = models.URLField(_("source"), max_length=500, blank=True)
    full_text_missing = models.BooleanField(
        _("full text missing"), default=False, help_text=_("Imported from an excerpt; an editor still has to add the rest.")
    )
    import_ref = models.CharField(_("import reference"), max_length=200, blank=True, editable=False)
    import_digest = models.CharField(_("digest of the imported text"), max_length=64, blank=True, editable=False)
    # What the source stated about the article besides its text (date, tags, section, summary) when
    # it was last imported: a re-import changes these only when the source's statement changed.
    import_details_digest = models.CharField(_("digest of the imported details"), max_length=64, blank=True, editable=False)
    # Search documents (articles/search/): segmented tokens, filled by render() and, for tags, when they change.
    search_title = models.TextField(_("search tokens of the title"), blank=True, editable=False)
    search_tags = models.TextField(_("search tokens of the tags"), blank=True, editable=False)
    search_preview = models.TextField(_("search tokens of the preview"), blank=True, editable=False)
    search_body = models.TextField(_("search tokens of the full text"), blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modified"), auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["column", "number"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        constraints = [
            models.UniqueConstraint(fields=["column", "number"], name="unique_article_number_per_column"),
            models.UniqueConstraint(fields=["column", "import_ref"], condition=~Q(import_ref=""), name="unique_import_ref_per_column"),
        ]
        indexes = [
            models.Index(fields=["column", "status", "published_at"], name="article_column_idx"),
            models.Index(fields=["status", "-published_at"], name="article_recent_idx"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if self.number is None:
            last = Article.objects.filter(column_id=self.column_id).aggregate(models.Max("number"))["number__max"]
            self.number = (last or 0) + 1
        self.render()
        super().save(*args, **kwargs)

    def render(self):
        """Derive the HTML, preview, reading figures and search documents from the Markdown body (render once, on save)."""
        cut = cut_preview(self.body)
        self.body_html = render_markdown(strip_cut_marker(self.body))
        self.preview_html = render_markdown(cut.preview_markdown) if cut.preview_markdown else ""
        self.has_more = cut.has_more
        preview_text, body_text = html_to_text(self.preview_html), html_to_text(self.body_html)
        self.summary = excerpt(self.description, 140) if self.description.strip() else excerpt(preview_text, 140)
        self.word_count = count_words(body_text)
        self.search_title = index_text(self.title)
        self.search_preview = index_text(preview_text)
        self.search_body = index_text(body_text)

    def get_absolute_url(self):
        return reverse("articles:article", kwargs={"pk": self.pk})

    @property
    def is_free(self):
        return self.access == self.Access.FREE

    @property
    def reading_minutes(self):
        return reading_minutes(self.word_count)

    @property
    def is_visible(self):
        return self.status == self.Status.PUBLISHED and self.published_at <= timezone.now() and self.column.status == Column.Status.PUBLISHED
