"""Search documents on each article, filled for the articles already there, and the index over them
(PostgreSQL: generated tsvector columns with GIN indexes; SQLite: an FTS5 table kept by triggers).

What this migration runs is copied here, not imported: from articles.segmenting (the tokens a
document is stored as), articles.markdown (html_to_text) and articles.search_index (the index), as
they were when it was frozen, so that later changes to them never change what it does. Only
jieba's dictionary (5 MB) is not copied: it is read through jieba's public Tokenizer, from the same
dict.txt the live code reads. `manage.py rebuild_search_index` recomputes every document with the
code of the day.
"""

import html
import re
import sqlite3
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
FTS_TABLE = "articles_article_fts"
DOCUMENT_COLUMNS = ("search_title", "search_tags", "search_preview", "search_body")
PUBLIC_VECTOR = "search_public_vector"
FULL_VECTOR = "search_full_vector"


def weighted_vector(text_column):
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
COLUMNS = ", ".join(DOCUMENT_COLUMNS)
NEW = ", ".join(f"new.{column}" for column in DOCUMENT_COLUMNS)
OLD = ", ".join(f"old.{column}" for column in DOCUMENT_COLUMNS)
SQLITE_TABLE = f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5({COLUMNS}, content='articles_article', content_rowid='id', tokenize='unicode61')"
SQLITE_TRIGGERS = {
    f"{FTS_TABLE}_insert": f"AFTER INSERT ON articles_article BEGIN INSERT INTO {FTS_TABLE}(rowid, {COLUMNS}) VALUES (new.id, {NEW}); END",
    f"{FTS_TABLE}_delete": f"AFTER DELETE ON articles_article BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {COLUMNS}) VALUES ('delete', old.id, {OLD}); END",
    f"{FTS_TABLE}_update": f"AFTER UPDATE OF {COLUMNS} ON articles_article BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {COLUMNS}) VALUES ('delete', old.id, {OLD}); "
    f"INSERT INTO {FTS_TABLE}(rowid, {COLUMNS}) VALUES (new.id, {NEW}); END",
}


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


def fts5_available():
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
    if not articles.exists():
        return
    words = load_words()
    last_pk = 0
    while batch := list(articles.filter(pk__gt=last_pk)[:BATCH]):
        for article in batch:
            article.search_title = index_text(words, article.title)
            article.search_tags = index_text(words, " ".join(tags.get(article.pk, [])))
            article.search_preview = index_text(words, html_to_text(article.preview_html))
            article.search_body = index_text(words, html_to_text(article.body_html))
        Article.objects.using(database).bulk_update(batch, ["search_title", "search_tags", "search_preview", "search_body"])
        last_pk = batch[-1].pk


def install_index(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for statement in POSTGRES_INSTALL:
                cursor.execute(statement)
        elif connection.vendor == "sqlite" and fts5_available():
            cursor.execute(SQLITE_TABLE)
            for name, body in SQLITE_TRIGGERS.items():
                cursor.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")


def uninstall_index(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for statement in POSTGRES_UNINSTALL:
                cursor.execute(statement)
        elif connection.vendor == "sqlite":
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")


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
