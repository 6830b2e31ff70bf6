"""A column's export for its author: every article as Markdown, its images, its members and orders.

The zip holds paid text and readers' email addresses, so it is kept in private storage (no URL
reaches it) under a name nobody can guess, and handed out only by admin's download view.
"""

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from articles.storage import private_storage


def export_file_name(export: "ColumnExport", filename: str) -> str:
    """column-exports/<random>/<file>: the folder is a secret of its own, so even a storage that
    could be listed or reached by a path would not give the file away."""
    return f"column-exports/{secrets.token_urlsafe(18)}/{filename}"


class ColumnExport(models.Model):
    """One export of a column, made by a background task (members/exports/jobs.py)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting for the background worker")
        RUNNING = "running", _("exporting")
        DONE = "done", _("ready to download")
        FAILED = "failed", _("failed")

    IN_PROGRESS = (Status.QUEUED, Status.RUNNING)

    column = models.ForeignKey("articles.Column", verbose_name=_("column"), on_delete=models.CASCADE, related_name="exports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveIntegerField(_("articles done"), default=0)
    progress_total = models.PositiveIntegerField(_("articles"), default=0)
    file = models.FileField(_("file"), upload_to=export_file_name, storage=private_storage, blank=True, max_length=300)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    error = models.TextField(_("error"), blank=True)
    task_id = models.CharField(_("task"), max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    # Written with each step of progress: a running export silent for long has lost its worker.
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("column export")
        verbose_name_plural = _("column exports")
        indexes = [models.Index(fields=["column", "-created_at"], name="column_export_column_idx")]

    def __str__(self):
        return f"{self.column} · {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("admin:members_columnexport_change", args=[self.pk])

    @property
    def in_progress(self) -> bool:
        return self.status in self.IN_PROGRESS

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))
