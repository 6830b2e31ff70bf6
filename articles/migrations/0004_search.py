"""Search documents on each article, filled for the articles already there, and the index over them
(PostgreSQL: generated tsvector columns with GIN indexes; SQLite: an FTS5 table kept by triggers)."""

from django.db import migrations, models

from articles import search_index
from articles.markdown import html_to_text
from articles.segmenting import index_text

BATCH = 500


def fill_documents(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    TaggedItem = apps.get_model("taggit", "TaggedItem")
    ContentType = apps.get_model("contenttypes", "ContentType")
    database = schema_editor.connection.alias
    content_type = ContentType.objects.using(database).filter(app_label="articles", model="article").first()
    tags: dict[int, list[str]] = {}
    if content_type is not None:
        for object_id, name in (
            TaggedItem.objects.using(database).filter(content_type=content_type).order_by("pk").values_list("object_id", "tag__name")
        ):
            tags.setdefault(object_id, []).append(name)
    articles = Article.objects.using(database).only("pk", "title", "preview_html", "body_html").order_by("pk")
    last_pk = 0
    while batch := list(articles.filter(pk__gt=last_pk)[:BATCH]):
        for article in batch:
            article.search_title = index_text(article.title)
            article.search_tags = index_text(" ".join(tags.get(article.pk, [])))
            article.search_preview = index_text(html_to_text(article.preview_html))
            article.search_body = index_text(html_to_text(article.body_html))
        Article.objects.using(database).bulk_update(batch, ["search_title", "search_tags", "search_preview", "search_body"])
        last_pk = batch[-1].pk


def install_index(apps, schema_editor):
    search_index.install(schema_editor.connection)


def uninstall_index(apps, schema_editor):
    search_index.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0003_free_columns"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="search_title",
            field=models.TextField(blank=True, editable=False, verbose_name="search tokens of the title"),
        ),
        migrations.AddField(
            model_name="article",
            name="search_tags",
            field=models.TextField(blank=True, editable=False, verbose_name="search tokens of the tags"),
        ),
        migrations.AddField(
            model_name="article",
            name="search_preview",
            field=models.TextField(blank=True, editable=False, verbose_name="search tokens of the preview"),
        ),
        migrations.AddField(
            model_name="article",
            name="search_body",
            field=models.TextField(blank=True, editable=False, verbose_name="search tokens of the full text"),
        ),
        migrations.RunPython(fill_documents, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(install_index, uninstall_index),
    ]
