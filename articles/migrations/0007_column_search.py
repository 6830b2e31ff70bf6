"""Columns get a search document (title, tagline, introduction, authors' names) and, on PostgreSQL,
a GIN-indexed tsvector over it; columns get indexes in their listings' own order (PostgreSQL) and for
the search's access rule; and on PostgreSQL the article table keeps its large texts out of line (TOAST), so that a
search's scan over matching rows reads about 1,000 narrow pages instead of 5,000 wide ones.

What this migration runs is copied here, not imported (as in 0004_search, which says why and how):
the column document from articles.search_index, the segmenting from articles.segmenting, as they
were when it was frozen.
"""

import html
import re
import unicodedata

from django.db import migrations, models

BATCH = 500

# articles.segmenting
DOMAIN_WORDS = (
    "提示词",
    "大模型",
    "智能体",
    "工作流",
    "知识库",
    "文生图",
    "文生视频",
    "图生视频",
    "分镜",
    "分镜脚本",
    "短视频",
    "私域",
    "私域流量",
    "副业",
    "变现",
    "小红书",
    "公众号",
    "视频号",
    "自媒体",
    "出海",
    "独立开发",
    "微调",
    "向量数据库",
    "多模态",
    "开源模型",
    "算力",
    "爆款",
    "种子用户",
    "复盘",
)
ADDED_WORD_FREQUENCY = 20000
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
RUN_RE = re.compile(rf"[{HAN}]+|[^\W_{HAN}]+")
HAN_START = re.compile(rf"[{HAN}]")
MAX_TOKEN_CHARS = 32
MAX_INDEXED_CHARS = 60_000

# articles.markdown
TAG_RE = re.compile(r"<[^>]+>")
SPACE_RE = re.compile(r"\s+")

# articles.search_index
PUBLIC_VECTOR = "search_public_vector"
COLUMN_VECTOR = "search_vector"
COLUMN_POSTGRES_INSTALL = [
    f"ALTER TABLE articles_column ADD COLUMN {COLUMN_VECTOR} tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_document)) STORED",
    f"CREATE INDEX column_search_idx ON articles_column USING gin ({COLUMN_VECTOR})",
]
COLUMN_POSTGRES_UNINSTALL = [
    "DROP INDEX IF EXISTS column_search_idx",
    f"ALTER TABLE articles_column DROP COLUMN IF EXISTS {COLUMN_VECTOR}",
]

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
    f"CREATE INDEX article_search_public_paid_idx ON articles_article USING gin ({PUBLIC_VECTOR}) "
    f"WITH (gin_pending_list_limit = {PENDING_LIST_KB}) WHERE access <> 'free'",
    f"ALTER INDEX article_search_full_idx SET (gin_pending_list_limit = {PENDING_LIST_KB})",
    f"ALTER INDEX column_search_idx SET (gin_pending_list_limit = {PENDING_LIST_KB})",
]
PUBLIC_INDEX_OF_EVERY_ARTICLE = [
    "DROP INDEX IF EXISTS article_search_public_paid_idx",
    "ALTER INDEX article_search_full_idx RESET (gin_pending_list_limit)",
    f"CREATE INDEX article_search_public_idx ON articles_article USING gin ({PUBLIC_VECTOR})",
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


def html_to_text(fragment):
    """Visible text of an HTML fragment, whitespace folded."""
    return SPACE_RE.sub(" ", html.unescape(TAG_RE.sub(" ", fragment))).strip()


def load_words():
    """jieba's dictionary as jieba keeps it (each word with its frequency, each prefix of a word at 0
    unless a word itself), with the domain words added as articles.dictionary adds them. Imported
    here, not at the top: only a database with articles to fill needs it (about 70 MB for a moment)."""
    import jieba

    with jieba.Tokenizer().get_dict_file() as source:
        words, _total = jieba.Tokenizer.gen_pfdict(source)
    for word in DOMAIN_WORDS:
        words[word] = words.get(word) or ADDED_WORD_FREQUENCY
        for end in range(1, len(word)):
            words.setdefault(word[:end], 0)
    return words


def index_tokens(words, text):
    """Every token a document is found by, in text order: each Han character, then every dictionary
    word of two or more characters starting there, shortest first; other runs of letters and digits whole."""
    tokens = []
    for run in RUN_RE.findall(unicodedata.normalize("NFKC", text[:MAX_INDEXED_CHARS]).casefold()):
        if not HAN_START.match(run):
            if len(run) <= MAX_TOKEN_CHARS:
                tokens.append(run)
            continue
        for start, character in enumerate(run):
            tokens.append(character)
            end = start + 2
            # Every prefix of a word is in `words`, so the first fragment missing ends the search.
            while end <= len(run) and run[start:end] in words:
                if words[run[start:end]] > 0:
                    tokens.append(run[start:end])
                end += 1
    return tokens


def index_text(words, *texts):
    """The stored search document of some texts: their tokens separated by spaces."""
    return " ".join(token for text in texts if text for token in index_tokens(words, text))


def column_document(words, *, title, tagline, intro_html, author_names):
    """The stored search document of a column: what it is found by."""
    return index_text(words, title, tagline, html_to_text(intro_html), " ".join(author_names))


def fill_documents(apps, schema_editor):
    Column = apps.get_model("articles", "Column")
    database = schema_editor.connection.alias
    columns = Column.objects.using(database).only("pk", "title", "tagline", "intro_html").prefetch_related("authors").order_by("pk")
    if not columns.exists():
        return
    words = load_words()
    last_pk = 0
    while batch := list(columns.filter(pk__gt=last_pk)[:BATCH]):
        for column in batch:
            column.search_document = column_document(
                words, title=column.title, tagline=column.tagline, intro_html=column.intro_html,
                author_names=[author.display_name for author in column.authors.all()],
            )  # fmt: skip
        Column.objects.using(database).bulk_update(batch, ["search_document"])
        last_pk = batch[-1].pk


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in COLUMN_POSTGRES_INSTALL + NARROW_ARTICLE_ROWS + LISTING_ORDER_INDEXES + PUBLIC_INDEX_OF_PAID_ARTICLES:
            schema_editor.execute(statement)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in COLUMN_POSTGRES_UNINSTALL + WIDE_ARTICLE_ROWS + NO_LISTING_ORDER_INDEXES + PUBLIC_INDEX_OF_EVERY_ARTICLE:
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
