from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from articles.comments import admin as comments_admin  # noqa: F401  (registers the comment models)
from articles.forms import ImportDocumentsForm
from articles.importers.batches import (
    BatchNotReady,
    import_batch_cancel,
    import_batch_confirm,
    import_batch_resume,
    import_batch_stage,
)
from articles.importers.progress import batch_progress
from articles.models import SEARCH_FIELDS, Article, Author, Category, Column, ImportBatch, Section
from articles.search import parse_query, text_matches


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    search_fields = ["name"]


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["display_name", "slug", "user"]
    search_fields = ["display_name", "user__email"]
    autocomplete_fields = ["user"]


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0
    fields = ["title", "position"]


# Source links typed without a scheme are https ones (Django 6's default, chosen now).
URL_FIELDS_ASSUME_HTTPS = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Column)
class ColumnAdmin(admin.ModelAdmin):
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    list_display = ["title", "status", "category", "article_count", "stated_reader_count", "last_published_at", "dashboard"]
    list_filter = ["status", "is_free", "category"]
    search_fields = ["title", "slug", "authors__display_name"]
    autocomplete_fields = ["authors"]
    readonly_fields = ["article_count", "last_published_at", "created_at", "updated_at", "rendered_intro"]
    inlines = [SectionInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "tagline", "status", "is_free", "offers_epub", "category", "authors", "cover"]}),
        (_("Introduction"), {"fields": ["intro", "rendered_intro"]}),
        (_("Figures"), {"fields": ["stated_reader_count", "stated_article_count", "article_count", "last_published_at", "source_url"]}),
        (_("History"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    @admin.display(description=_("dashboard"))
    def dashboard(self, column):
        return format_html('<a href="{}">{}</a>', reverse("column-dashboard", args=[column.slug]), _("members and revenue"))

    @admin.display(description=_("rendered introduction"))
    def rendered_intro(self, column):
        return format_html('<div class="rendered-preview">{}</div>', mark_safe(column.intro_html)) if column.intro_html else "—"


class ArticleChangeList(ChangeList):
    """The list shows titles and figures: the texts and search documents stay in the database."""

    def get_queryset(self, request, exclude_parameters=None):
        return super().get_queryset(request, exclude_parameters).defer("body", "body_html", "preview_html", *SEARCH_FIELDS)


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS
    list_display = ["title", "column", "number", "section", "access", "status", "pinned", "published_at", "full_text_missing"]
    list_filter = ["status", "access", "pinned", "full_text_missing", "column"]
    list_select_related = ["column", "section__column"]
    # Words in the text are found through the search index (get_search_results), not by reading
    # every article's text: at 20,000 articles that took seconds.
    search_fields = ["title", "column__title"]
    date_hierarchy = "published_at"
    autocomplete_fields = ["column"]
    readonly_fields = ["rendered_preview", "rendered_body", "word_count", "created_at", "updated_at", "import_ref"]
    fieldsets = [
        (None, {"fields": ["column", "section", "number", "title", "access", "status", "published_at", "pinned", "tags", "description"]}),
        (_("Text"), {"fields": ["body"]}),
        (_("As readers see it"), {"fields": ["rendered_preview", "rendered_body", "word_count"]}),
        (_("Origin"), {"fields": ["source_url", "full_text_missing", "import_ref", "created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    @admin.display(description=_("free preview (what non-members see)"))
    def rendered_preview(self, article):
        return format_html('<div class="rendered-preview">{}</div>', mark_safe(article.preview_html)) if article.pk else "—"

    @admin.display(description=_("full text"))
    def rendered_body(self, article):
        return format_html('<div class="rendered-preview">{}</div>', mark_safe(article.body_html)) if article.pk else "—"

    def get_changelist(self, request, **kwargs):
        return ArticleChangeList

    def get_search_results(self, request, queryset, search_term):
        by_title, _ = super().get_search_results(request, self.model._default_manager.all(), search_term)
        if not search_term.strip():
            return queryset, False
        terms = parse_query(search_term).terms
        found = Q(pk__in=by_title.values("pk"))
        if terms:
            found |= Q(pk__in=text_matches(terms))
        return queryset.filter(found), False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if "section" in form.base_fields:
            # The sections of the article's own column, not every column's (thousands of them).
            sections = Section.objects.select_related("column")
            column_id = obj.column_id if obj is not None else request.GET.get("column")
            if column_id and str(column_id).isdigit():
                sections = sections.filter(column_id=column_id)
            form.base_fields["section"].queryset = sections
        return form


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    """Import documents: the add page uploads and shows a dry run, the change page confirms it."""

    list_display = ["__str__", "created_by", "column", "status", "imported_at"]
    list_filter = ["status"]
    list_select_related = ["created_by", "column"]
    search_fields = ["files__name", "column__title"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("files")

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportDocumentsForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            batch = import_batch_stage(
                user=request.user,
                files=data["files"],
                column=data["column"],
                format=data["format"],
                split=data["split"],
                free_first=data["free_first"],
                publish=data["publish"],
            )
            return redirect(batch.get_absolute_url())
        context = {**self.admin_site.each_context(request), "title": _("Import documents"), "form": form, "opts": self.opts}
        return TemplateResponse(request, "admin/articles/importbatch/upload.html", context)

    # What the change page's buttons do, each a POST naming its action.
    BATCH_ACTIONS = {
        "confirm": (import_batch_confirm, _("The import is queued; this page shows its progress.")),
        "cancel": (import_batch_cancel, _("Cancelling: documents already imported stay imported.")),
        "resume": (import_batch_resume, _("The import continues where it stopped.")),
    }

    def change_view(self, request, object_id, form_url="", extra_context=None):
        batch = get_object_or_404(ImportBatch.objects.select_related("column", "created_by").prefetch_related("files"), pk=object_id)
        if not self.has_view_or_change_permission(request, batch):
            raise PermissionDenied
        if request.method == "POST":
            if not self.has_change_permission(request, batch):
                raise PermissionDenied
            action, message = self.BATCH_ACTIONS.get(request.POST.get("action", "confirm"), (None, ""))
            if action is None:
                messages.error(request, _("Unknown action."))
            else:
                try:
                    action(batch_id=batch.pk)
                except BatchNotReady:
                    messages.warning(request, _("This import has moved on meanwhile; nothing was done. Its current state is below."))
                else:
                    messages.info(request, message)
            return redirect(batch.get_absolute_url())
        can_change = self.has_change_permission(request, batch)
        report = batch.dry_run_report if batch.status in (ImportBatch.Status.PREVIEWED, ImportBatch.Status.ANALYZING) else batch.result_report
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import documents") if batch.status == ImportBatch.Status.PREVIEWED else str(batch),
            "batch": batch,
            "report": report if not batch.in_progress else None,
            "progress": batch_progress(batch) if batch.in_progress else None,
            "can_confirm": batch.status == ImportBatch.Status.PREVIEWED and can_change,
            "can_change": can_change,
            "opts": self.opts,
            "upload_url": reverse("admin:articles_importbatch_add"),
        }
        return TemplateResponse(request, "admin/articles/importbatch/review.html", context)
