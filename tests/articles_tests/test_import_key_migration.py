"""Migration 0009 rewrites title keys to the normalized form the importer now makes, so articles
imported before are found again; numbered keys stay as they are."""

import importlib

import pytest

from articles.importers.identity import title_identity
from articles.importers.plan import import_ref
from articles.importers.service import Action, ImportOptions, Upload, import_uploads
from articles.models import Article

migration = importlib.import_module("articles.migrations.0009_normalized_import_keys")


def test_a_title_key_becomes_the_importers_normalized_key():
    assert migration.normalized_ref("file:book.txt#第 1 章 10 点知识， 快速了解 Sora") == import_ref(
        "file:book.txt", title_identity("第 1 章 10 点知识， 快速了解 Sora")
    )


def test_a_repeat_keeps_its_mark_and_numbers_and_new_keys_stay():
    assert migration.normalized_ref("file:a.md#答疑~2") == "file:a.md#t:答疑~2"
    assert migration.normalized_ref("https://xiaobot.net/p/x#010") == "https://xiaobot.net/p/x#010"
    assert migration.normalized_ref("https://xiaobot.net/p/x#t:已经是新的") == "https://xiaobot.net/p/x#t:已经是新的"


@pytest.mark.django_db
def test_after_the_migration_a_re_import_finds_an_article_whose_title_an_editor_changed():
    book = "第1章 开端\n很久以前。\n\n第2章 转折\n后来。\n".encode()
    import_uploads(uploads=[Upload("book.txt", book)], options=ImportOptions(), dry_run=False)
    article = Article.objects.get(title__startswith="第1章")
    # As an import before normalized keys stored it, then retitled by an editor.
    Article.objects.filter(pk=article.pk).update(import_ref=f"file:book.txt#{article.title}")
    migration.normalize_import_refs(django_apps(), None)
    article.refresh_from_db()
    article.title = "第一章 开端（修订）"
    article.save()
    report = import_uploads(uploads=[Upload("book.txt", book)], options=ImportOptions(), dry_run=False)
    assert report.files[0].summary[Action.KEPT_EDITED] == 1
    assert Article.objects.count() == 2


def django_apps():
    from django.apps import apps

    return apps
