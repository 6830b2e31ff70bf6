"""Documents editors upload in admin and the runs that import them."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from articles.models.content import Column
from articles.storage import private_storage


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
