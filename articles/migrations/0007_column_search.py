"""Columns get a search document (title, tagline, introduction, authors' names) and, on PostgreSQL,
a GIN-indexed tsvector over it; columns get indexes in their listings' own order (PostgreSQL) and for
the search's access rule; and on PostgreSQL the article table keeps its large texts out of line (TOAST), so that a
search's scan over matching rows reads about 1,000 narrow pages instead of 5,000 wide ones."""

from django.db import migrations, models

from articles import search_index

BATCH = 500

# Every large text moves out of the row once the row passes 128 bytes; the title stays in (MAIN:
# compressed in place), because every list of articles shows it. Rows already stored are rewritten
# the next time they change, or at once with VACUUM FULL articles_article (README, upgrading).
NARROW_ARTICLE_ROWS = [
    "ALTER TABLE articles_article SET (toast_tuple_target = 128)",
    "ALTER TABLE articles_article ALTER COLUMN title SET STORAGE MAIN",
]
# Readers search the public document only of the articles they may not read in full, and those
# are never free: the index holds the members-only articles alone, a third of the rows a common
# word makes a search read (PostgresMatches).
# New entries wait in a GIN index's pending list until it passes this size (4 MB by default), and
# every search reads the whole list: 512 kB keeps that to a few milliseconds between vacuums.
PENDING_LIST_KB = 512
PUBLIC_INDEX_OF_PAID_ARTICLES = [
    "DROP INDEX IF EXISTS article_search_public_idx",
    f"CREATE INDEX article_search_public_paid_idx ON articles_article USING gin ({search_index.PUBLIC_VECTOR}) "
    f"WITH (gin_pending_list_limit = {PENDING_LIST_KB}) WHERE access <> 'free'",
    f"ALTER INDEX article_search_full_idx SET (gin_pending_list_limit = {PENDING_LIST_KB})",
    f"ALTER INDEX column_search_idx SET (gin_pending_list_limit = {PENDING_LIST_KB})",
]
PUBLIC_INDEX_OF_EVERY_ARTICLE = [
    "DROP INDEX IF EXISTS article_search_public_paid_idx",
    "ALTER INDEX article_search_full_idx RESET (gin_pending_list_limit)",
    f"CREATE INDEX article_search_public_idx ON articles_article USING gin ({search_index.PUBLIC_VECTOR})",
]
# The column listings' own order (Column.Meta.ordering: newest update first, never updated last).
# SQLite cannot index NULLS LAST, so these are PostgreSQL's alone, beside the plain indexes.
LISTING_ORDER_INDEXES = [
    'CREATE INDEX column_listing_order_idx ON articles_column (status, last_published_at DESC NULLS LAST, created_at DESC)',
    'CREATE INDEX column_category_order_idx ON articles_column (category_id, status, last_published_at DESC NULLS LAST, created_at DESC)',
]
NO_LISTING_ORDER_INDEXES = ["DROP INDEX IF EXISTS column_listing_order_idx", "DROP INDEX IF EXISTS column_category_order_idx"]
WIDE_ARTICLE_ROWS = [
    "ALTER TABLE articles_article RESET (toast_tuple_target)",
    "ALTER TABLE articles_article ALTER COLUMN title SET STORAGE EXTENDED",
]


def fill_documents(apps, schema_editor):
    Column = apps.get_model("articles", "Column")
    database = schema_editor.connection.alias
    columns = Column.objects.using(database).only("pk", "title", "tagline", "intro_html").prefetch_related("authors").order_by("pk")
    last_pk = 0
    while batch := list(columns.filter(pk__gt=last_pk)[:BATCH]):
        for column in batch:
            column.search_document = search_index.column_document(
                title=column.title, tagline=column.tagline, intro_html=column.intro_html,
                author_names=[author.display_name for author in column.authors.all()],
            )  # fmt: skip
        Column.objects.using(database).bulk_update(batch, ["search_document"])
        last_pk = batch[-1].pk


def install(apps, schema_editor):
    search_index.install_column_index(schema_editor.connection)
    if schema_editor.connection.vendor == "postgresql":
        for statement in NARROW_ARTICLE_ROWS + LISTING_ORDER_INDEXES + PUBLIC_INDEX_OF_PAID_ARTICLES:
            schema_editor.execute(statement)


def uninstall(apps, schema_editor):
    search_index.uninstall_column_index(schema_editor.connection)
    if schema_editor.connection.vendor == "postgresql":
        for statement in WIDE_ARTICLE_ROWS + NO_LISTING_ORDER_INDEXES + PUBLIC_INDEX_OF_EVERY_ARTICLE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0006_private_import_files"),
    ]

    operations = [
        migrations.AddField(
            model_name="column",
            name="search_document",
            field=models.TextField(blank=True, editable=False, verbose_name="search tokens"),
        ),
        migrations.RunPython(fill_documents, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(install, uninstall),
        migrations.AddIndex(
            model_name="column",
            index=models.Index(fields=["status", "id"], name="column_published_idx"),
        ),
        migrations.AddIndex(
            model_name="column",
            index=models.Index(condition=models.Q(("is_free", True)), fields=["id"], name="column_free_idx"),
        ),
    ]
