"""The database side of search: what indexes the stored search documents, per database.

- PostgreSQL: two generated tsvector columns over the segmented documents with the 'simple'
  configuration, weighted title A, tags B, text C, each with a GIN index. The public vector holds
  the preview, the full one the whole body. Since migration 0007 the public vector's index covers
  the members-only articles alone (free ones are searched by their full text), and both indexes
  keep a short pending list. The model does not declare them (SQLite has no
  tsvector); articles/search/ reads them by name.
- Columns (PostgreSQL): a generated tsvector over each column's search document, GIN-indexed;
  other databases match the few columns there are with LIKE over the same document.
- SQLite: an FTS5 table over the same four columns, external content, kept in step by triggers,
  so bulk_create, bulk_update and QuerySet.update keep it current too. Django remakes a SQLite
  table for some schema changes, which drops its triggers: `ensure` (run after every migrate)
  puts them back and rebuilds the index. Without FTS5, search falls back to LIKE.
"""

import sqlite3
from functools import cache

from articles.markdown import html_to_text
from articles.segmenting import index_text

FTS_TABLE = "articles_article_fts"
DOCUMENT_COLUMNS = ("search_title", "search_tags", "search_preview", "search_body")
PUBLIC_VECTOR = "search_public_vector"
FULL_VECTOR = "search_full_vector"


def weighted_vector(text_column: str) -> str:
    return (
        "setweight(to_tsvector('simple'::regconfig, search_title), 'A') || "
        "setweight(to_tsvector('simple'::regconfig, search_tags), 'B') || "
        f"setweight(to_tsvector('simple'::regconfig, {text_column}), 'C')"
    )


POSTGRES_INSTALL = [
    f"ALTER TABLE articles_article ADD COLUMN {PUBLIC_VECTOR} tsvector GENERATED ALWAYS AS ({weighted_vector('search_preview')}) STORED",
    f"ALTER TABLE articles_article ADD COLUMN {FULL_VECTOR} tsvector GENERATED ALWAYS AS ({weighted_vector('search_body')}) STORED",
    f"CREATE INDEX article_search_public_idx ON articles_article USING gin ({PUBLIC_VECTOR})",
    f"CREATE INDEX article_search_full_idx ON articles_article USING gin ({FULL_VECTOR})",
]
POSTGRES_UNINSTALL = [
    "DROP INDEX IF EXISTS article_search_full_idx",
    "DROP INDEX IF EXISTS article_search_public_idx",
    f"ALTER TABLE articles_article DROP COLUMN IF EXISTS {FULL_VECTOR}",
    f"ALTER TABLE articles_article DROP COLUMN IF EXISTS {PUBLIC_VECTOR}",
]


def column_document(*, title: str, tagline: str, intro_html: str, author_names: list[str]) -> str:
    """The stored search document of a column: what it is found by."""
    return index_text(title, tagline, html_to_text(intro_html), " ".join(author_names))


COLUMN_VECTOR = "search_vector"
COLUMN_POSTGRES_INSTALL = [
    f"ALTER TABLE articles_column ADD COLUMN {COLUMN_VECTOR} tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_document)) STORED",
    f"CREATE INDEX column_search_idx ON articles_column USING gin ({COLUMN_VECTOR})",
]
COLUMN_POSTGRES_UNINSTALL = [
    "DROP INDEX IF EXISTS column_search_idx",
    f"ALTER TABLE articles_column DROP COLUMN IF EXISTS {COLUMN_VECTOR}",
]

_columns = ", ".join(DOCUMENT_COLUMNS)
_new = ", ".join(f"new.{column}" for column in DOCUMENT_COLUMNS)
_old = ", ".join(f"old.{column}" for column in DOCUMENT_COLUMNS)
SQLITE_TABLE = f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5({_columns}, content='articles_article', content_rowid='id', tokenize='unicode61')"
SQLITE_TRIGGERS = {
    f"{FTS_TABLE}_insert": f"AFTER INSERT ON articles_article BEGIN INSERT INTO {FTS_TABLE}(rowid, {_columns}) VALUES (new.id, {_new}); END",
    f"{FTS_TABLE}_delete": f"AFTER DELETE ON articles_article BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_columns}) VALUES ('delete', old.id, {_old}); END",
    f"{FTS_TABLE}_update": f"AFTER UPDATE OF {_columns} ON articles_article BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_columns}) VALUES ('delete', old.id, {_old}); "
    f"INSERT INTO {FTS_TABLE}(rowid, {_columns}) VALUES (new.id, {_new}); END",
}


@cache
def fts5_available() -> bool:
    """Whether this SQLite library has FTS5 (asked of a scratch database, not the site's)."""
    try:
        scratch = sqlite3.connect(":memory:")
        try:
            scratch.execute("CREATE VIRTUAL TABLE probe USING fts5(text)")
        finally:
            scratch.close()
    except sqlite3.Error:
        return False
    return True


def install(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for statement in POSTGRES_INSTALL:
                cursor.execute(statement)
        elif connection.vendor == "sqlite" and fts5_available():
            create_sqlite_index(cursor)
            rebuild(connection)


def uninstall(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for statement in POSTGRES_UNINSTALL:
                cursor.execute(statement)
        elif connection.vendor == "sqlite":
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")


SEARCH_INDEXES = ("article_search_full_idx", "article_search_public_paid_idx", "column_search_idx")


def merge_pending_entries(connection) -> None:
    """Move the entries waiting in the GIN indexes' pending lists into the indexes proper, which
    every search would otherwise read through (after a large import, say)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for index in SEARCH_INDEXES:
                cursor.execute("SELECT gin_clean_pending_list(to_regclass(%s)) WHERE to_regclass(%s) IS NOT NULL", [index, index])


def install_column_index(connection) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for statement in COLUMN_POSTGRES_INSTALL:
                cursor.execute(statement)


def uninstall_column_index(connection) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for statement in COLUMN_POSTGRES_UNINSTALL:
                cursor.execute(statement)


def create_sqlite_index(cursor) -> None:
    cursor.execute(SQLITE_TABLE)
    for name, body in SQLITE_TRIGGERS.items():
        cursor.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")


def rebuild(connection) -> None:
    """Index every row again from the stored documents (PostgreSQL's generated columns need nothing)."""
    if connection.vendor == "sqlite" and fts5_available():
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")


def ensure(connection) -> bool:
    """Put back a SQLite index or trigger a table remake dropped, then reindex; True if it had to."""
    if connection.vendor != "sqlite" or not fts5_available():
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name = %s OR (type = 'trigger' AND tbl_name = 'articles_article')", [FTS_TABLE])
        present = {row[0] for row in cursor.fetchall()}
        if "articles_article" not in connection.introspection.table_names(cursor):
            return False
        columns = {column.name for column in connection.introspection.get_table_description(cursor, "articles_article")}
        if not set(DOCUMENT_COLUMNS) <= columns:
            return False  # migrated back before the search documents existed
        if {FTS_TABLE, *SQLITE_TRIGGERS} <= present:
            return False
        create_sqlite_index(cursor)
    rebuild(connection)
    return True
