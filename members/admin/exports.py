"""Column exports in admin: an action on the column list starts one, its page shows the progress
and then the download. Exports hold paid text and readers' addresses, so everything here (the
list, the page, the file) is for staff who may see the column's orders and read all of its text
(members.exports.jobs.may_export), asked again at each download."""

from datetime import timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import articles.admin  # noqa: F401  registers the column admin this module adds its action to
from articles.models import Column
from members.access import readable_column_ids, reads_everything
from members.exports.jobs import VIEW_ORDERS, ExportRefused, column_export_start, may_export, stalled
from members.models import ColumnExport

# A queued export no worker has picked up after this long: the page says to check the worker.
WAITING_TOO_LONG = timedelta(minutes=1)


@admin.action(description=_("Export (Markdown, members, orders)"))
def export_columns(modeladmin, request, queryset):
    started = []
    for column in queryset.order_by("title"):
        try:
            started.append(column_export_start(column=column, user=request.user))
        except ExportRefused:
            modeladmin.message_user(
                request,
                _("You may not export “%(column)s”: it takes the permission to view orders and to read all of its articles.") % {"column": column.title},
                messages.ERROR,
            )
    if len(started) == 1:
        return redirect(started[0].get_absolute_url())
    if started:
        modeladmin.message_user(request, _("%(count)d exports started; each page shows its progress.") % {"count": len(started)}, messages.INFO)
        return redirect("admin:members_columnexport_changelist")
    return None


column_admin = admin.site.get_model_admin(Column)
column_admin.actions = (*(column_admin.actions or ()), export_columns)


@admin.register(ColumnExport)
class ColumnExportAdmin(admin.ModelAdmin):
    list_display = ["column", "status", "percent_done", "requested_by", "created_at", "finished_at", "file_size"]
    list_filter = ["status"]
    list_select_related = ["column", "requested_by"]
    search_fields = ["column__title", "column__slug"]

    def get_urls(self):
        return [
            path("<int:pk>/download/", self.admin_site.admin_view(self.download_view), name="members_columnexport_download"),
            *super().get_urls(),
        ]

    @admin.display(description=_("progress"))
    def percent_done(self, export):
        return f"{export.percent}%"

    @admin.display(description=_("size"), ordering="size")
    def file_size(self, export):
        return filesizeformat(export.size) if export.size else "—"

    def get_queryset(self, request):
        exports = super().get_queryset(request)
        if reads_everything(request.user):
            return exports
        return exports.filter(Q(column__is_free=True) | Q(column_id__in=readable_column_ids(request.user)))

    def has_view_permission(self, request, obj=None):
        if obj is not None:
            return may_export(request.user, obj.column)
        return request.user.is_active and request.user.is_staff and request.user.has_perm(VIEW_ORDERS)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return False  # exports start from the column list's action

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        obj.file.delete(save=False)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for export in queryset:
            export.file.delete(save=False)
        super().delete_queryset(request, queryset)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        export = get_object_or_404(ColumnExport.objects.select_related("column", "requested_by"), pk=object_id)
        if not self.has_view_permission(request, export):
            raise PermissionDenied
        if request.method == "POST":
            try:
                again = column_export_start(column=export.column, user=request.user)
            except ExportRefused:
                raise PermissionDenied from None
            return redirect(again.get_absolute_url())
        now = timezone.now()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Export: %(column)s") % {"column": export.column.title},
            "export": export,
            "opts": self.opts,
            "stalled": stalled(export, now=now),
            "waiting_for_worker": export.status == ColumnExport.Status.QUEUED and now - export.created_at > WAITING_TOO_LONG,
            "elapsed": (export.finished_at or now) - export.started_at if export.started_at else None,
            "download_url": reverse("admin:members_columnexport_download", args=[export.pk]) if export.status == ColumnExport.Status.DONE else "",
        }
        return TemplateResponse(request, "admin/members/export_progress.html", context)

    def download_view(self, request, pk):
        """The zip, to staff who may export its column now; admin_view sends everyone else to the
        login page and marks the answer never to be cached."""
        export = get_object_or_404(ColumnExport.objects.select_related("column"), pk=pk)
        if not self.has_view_permission(request, export):
            raise PermissionDenied
        if export.status != ColumnExport.Status.DONE or not export.file:
            raise Http404
        filename = f"{export.column.slug}-{timezone.localtime(export.created_at):%Y%m%d-%H%M}.zip"
        return FileResponse(export.file.open("rb"), as_attachment=True, filename=filename, content_type="application/zip")
