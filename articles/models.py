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
from articles.storage import private_storage


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
    # Search documents (articles/search.py): segmented tokens, filled by render() and, for tags, when they change.
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


class ImportBatch(models.Model):
    """Documents an editor uploaded in admin: a dry run, the editor's confirmation, then the import.

    Both runs happen in a background task (articles/tasks.py), a document at a time; each finished
    document is recorded as an ImportBatchDocument, in the same transaction as its articles, so a
    run that stops halfway resumes where it stopped and imports nothing twice.
    """

    class Status(models.TextChoices):
        ANALYZING = "analyzing", _("preparing the dry run")
        PREVIEWED = "previewed", _("dry run shown")
        QUEUED = "queued", _("waiting to import")
        RUNNING = "running", _("importing")
        IMPORTED = "imported", _("imported")
        PARTLY_IMPORTED = "partly", _("partly imported")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    # A task works on these; the others are at rest.
    IN_PROGRESS = (Status.ANALYZING, Status.QUEUED, Status.RUNNING)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    column = models.ForeignKey(Column, verbose_name=_("target column"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    format = models.CharField(_("format"), max_length=20, blank=True, help_text=_("Empty: detected per file."))
    split = models.CharField(_("split"), max_length=20, default="auto")
    free_first = models.PositiveSmallIntegerField(_("free articles per document"), null=True, blank=True)
    publish = models.BooleanField(_("publish"), default=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PREVIEWED)
    dry_run_report = models.JSONField(_("dry run"), default=dict, blank=True)
    result_report = models.JSONField(_("result"), default=dict, blank=True)
    imported_at = models.DateTimeField(_("imported"), null=True, blank=True)
    # The run in progress: the token it was started with (a resumed run gets a new one and the old
    # run stops), its task, how far it is, and whether the editor asked it to stop.
    run_token = models.CharField(_("run"), max_length=32, blank=True, editable=False)
    task_id = models.CharField(_("task"), max_length=64, blank=True, editable=False)
    documents_total = models.PositiveIntegerField(_("documents"), default=0, editable=False)
    characters_total = models.PositiveBigIntegerField(_("characters"), default=0, editable=False)
    current_document = models.CharField(_("current document"), max_length=500, blank=True, editable=False)
    run_started_at = models.DateTimeField(_("run started"), null=True, blank=True, editable=False)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True, editable=False)
    cancel_requested = models.BooleanField(_("cancel requested"), default=False, editable=False)
    error = models.TextField(_("error"), blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("document import")
        verbose_name_plural = _("document imports")

    def __str__(self):
        names = ", ".join(file.name for file in self.files.all()[:3])
        return f"{self.created_at:%Y-%m-%d %H:%M} · {names}"

    def get_absolute_url(self):
        return reverse("admin:articles_importbatch_change", args=[self.pk])

    @property
    def in_progress(self) -> bool:
        return self.status in self.IN_PROGRESS


class ImportBatchDocument(models.Model):
    """One document of a batch, done: what the dry run or the import did with it."""

    class Phase(models.TextChoices):
        DRY_RUN = "dry_run", _("dry run")
        IMPORT = "import", _("import")

    batch = models.ForeignKey(ImportBatch, verbose_name=_("import"), on_delete=models.CASCADE, related_name="documents")
    phase = models.CharField(_("phase"), max_length=10, choices=Phase.choices)
    position = models.PositiveIntegerField(_("position"))  # in the batch's documents, in upload order
    filename = models.CharField(_("file name"), max_length=500)
    ok = models.BooleanField(_("imported"), default=True)
    characters = models.PositiveIntegerField(_("characters"), default=0)
    report = models.JSONField(_("report"), default=dict)
    finished_at = models.DateTimeField(_("finished"), auto_now_add=True)

    class Meta:
        ordering = ["batch", "phase", "position"]
        verbose_name = _("imported document")
        verbose_name_plural = _("imported documents")
        constraints = [
            # A document is recorded once per run, however often the run is resumed.
            models.UniqueConstraint(fields=["batch", "phase", "position"], name="unique_batch_document"),
        ]

    def __str__(self):
        return self.filename


class ImportBatchFile(models.Model):
    batch = models.ForeignKey(ImportBatch, verbose_name=_("import"), on_delete=models.CASCADE, related_name="files")
    name = models.CharField(_("file name"), max_length=255)
    # Whole paid articles: kept where no URL reaches them (articles/storage.py).
    file = models.FileField(_("file"), upload_to="import-batches/%Y/%m/", storage=private_storage)
    size = models.PositiveIntegerField(_("size (bytes)"))

    class Meta:
        ordering = ["batch", "pk"]
        verbose_name = _("uploaded file")
        verbose_name_plural = _("uploaded files")

    def __str__(self):
        return self.name
