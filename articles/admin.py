from django.contrib import admin
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from articles.models import Article, Author, Category, Column, Section


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


@admin.register(Column)
class ColumnAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "category", "article_count", "stated_reader_count", "last_published_at"]
    list_filter = ["status", "category"]
    search_fields = ["title", "slug", "authors__display_name"]
    autocomplete_fields = ["authors"]
    readonly_fields = ["article_count", "last_published_at", "created_at", "updated_at", "rendered_intro"]
    inlines = [SectionInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "tagline", "status", "category", "authors", "cover"]}),
        (_("Introduction"), {"fields": ["intro", "rendered_intro"]}),
        (_("Figures"), {"fields": ["stated_reader_count", "stated_article_count", "article_count", "last_published_at", "source_url"]}),
        (_("History"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    @admin.display(description=_("rendered introduction"))
    def rendered_intro(self, column):
        return format_html('<div class="rendered-preview">{}</div>', mark_safe(column.intro_html)) if column.intro_html else "—"


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "column", "number", "section", "access", "status", "pinned", "published_at", "full_text_missing"]
    list_filter = ["status", "access", "pinned", "full_text_missing", "column"]
    list_select_related = ["column", "section"]
    search_fields = ["title", "body", "column__title"]
    date_hierarchy = "published_at"
    autocomplete_fields = ["column"]
    readonly_fields = ["rendered_preview", "rendered_body", "word_count", "created_at", "updated_at", "import_ref"]
    fieldsets = [
        (None, {"fields": ["column", "section", "number", "title", "access", "status", "published_at", "pinned", "tags"]}),
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

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "section":
            kwargs["queryset"] = Section.objects.select_related("column")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
