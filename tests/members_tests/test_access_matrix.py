"""The one paywall rule (members/access.py), run through every form it takes: the Python check,
the SQL filter (search, exports), the annotation of the article page's one query, and the pages
themselves. Every reader against every kind of article, with the expected answer written out."""

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.test import Client
from django.utils import timezone

from articles.models import Article, Column
from members.access import attach_reader_access, can_read_in_full, readable_filter, with_reader_access
from members.models import Plan
from members.services import order_create, order_dispute_opened, order_mark_paid, order_refund
from tests.factories import PAID_PARAGRAPHS, make_article, make_author, make_column, make_membership, make_user

pytestmark = pytest.mark.django_db

ARTICLES = ("paid", "free article", "free column", "draft", "scheduled", "other column")
# Who reads which article in full. Drafts and scheduled articles exist for nobody on reader pages
# except editors who may change articles (the superuser below).
EXPECTED = {
    "visitor": {"free article", "free column"},
    "signed in, no membership": {"free article", "free column"},
    "active member": {"paid", "free article", "free column"},
    "lifetime member": {"paid", "free article", "free column"},
    "expired member": {"free article", "free column"},
    "refunded member": {"free article", "free column"},
    "disputed member": {"free article", "free column"},
    "author": {"paid", "free article", "free column"},
    "staff without the permission": {"free article", "free column"},
    "editor with the permission": {"paid", "free article", "free column", "other column"},
    "superuser": {"paid", "free article", "free column", "draft", "scheduled", "other column"},
}


@pytest.fixture(autouse=True)
def quick_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # a dozen accounts per test


def paid_order_member(column, then):
    reader = make_user()
    plan = column.plans.get(kind=Plan.Kind.ANNUAL)
    order = order_create(user=reader, plan=plan, provider="sandbox", checkout_token=uuid.uuid4())
    order_mark_paid(order_id=order.pk, amount_fen=order.amount_fen)
    then(order_id=order.pk)
    return reader


@pytest.fixture
def world():
    author = make_author()
    column = make_column(title="规则专栏", authors=[author])
    other = make_column(title="别的专栏")
    free_column = make_column(title="免费专栏", is_free=True, plans=())
    now = timezone.now()
    articles = {
        "paid": make_article(column, title="付费"),
        "free article": make_article(column, title="免费", access=Article.Access.FREE),
        "free column": make_article(free_column, title="免费专栏里的"),
        "draft": make_article(column, title="草稿", status=Article.Status.DRAFT),
        "scheduled": make_article(column, title="定时", published_at=now + timedelta(days=1)),
        "other column": make_article(other, title="别处付费"),
    }
    readers = {"visitor": AnonymousUser(), "signed in, no membership": make_user()}
    readers["active member"] = make_user()
    make_membership(readers["active member"], column, days=30)
    readers["lifetime member"] = make_user()
    make_membership(readers["lifetime member"], column)
    readers["expired member"] = make_user()
    make_membership(readers["expired member"], column, expired=True)
    readers["refunded member"] = paid_order_member(column, order_refund)
    readers["disputed member"] = paid_order_member(column, order_dispute_opened)
    readers["author"] = make_user()
    author.user = readers["author"]
    author.save()
    readers["staff without the permission"] = make_user(is_staff=True)
    editor = make_user(is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="read_all_articles", content_type__app_label="members"))
    readers["editor with the permission"] = editor
    readers["superuser"] = make_user(is_staff=True, is_superuser=True)
    return readers, articles


def fresh(user):
    """The user as the next request loads it (no answers remembered from an earlier question)."""
    return type(user).objects.get(pk=user.pk) if user.is_authenticated else user


@pytest.mark.parametrize("reader", list(EXPECTED))
def test_every_encoding_of_the_rule_gives_the_same_answers(world, reader):
    readers, articles = world
    user = readers[reader]
    expected = EXPECTED[reader]
    python = {name for name, article in articles.items() if can_read_in_full(fresh(user), Article.objects.get(pk=article.pk))}
    assert python == expected, "can_read_in_full"

    visible = {name for name, article in articles.items() if article.is_visible}
    readable = set(Article.objects.filter(readable_filter(fresh(user))).values_list("title", flat=True))
    titles = {name: article.title for name, article in articles.items()}
    sql = {name for name in visible if titles[name] in readable}
    assert sql == expected & visible, "readable_filter"

    annotated = set()
    for name, article in articles.items():
        reader_now = fresh(user)
        loaded = attach_reader_access(reader_now, with_reader_access(Article.objects.filter(pk=article.pk), reader_now).get())
        if can_read_in_full(reader_now, loaded):
            annotated.add(name)
    assert annotated == expected, "with_reader_access"


@pytest.mark.parametrize("reader", ["visitor", "active member", "refunded member", "staff without the permission", "editor with the permission"])
def test_the_article_page_follows_the_rule(world, reader):
    readers, articles = world
    user = readers[reader]
    client = Client()
    if user.is_authenticated:
        client.force_login(user)
    for name in ("paid", "other column", "free article"):
        page = client.get(articles[name].get_absolute_url()).content.decode()
        assert (PAID_PARAGRAPHS[-1] in page) == (name in EXPECTED[reader]), name


def test_a_free_column_is_free_for_everyone_even_without_articles_marked_free(world):
    readers, articles = world
    assert Column.objects.get(title="免费专栏").is_free
    assert all(can_read_in_full(fresh(user), articles["free column"]) for user in readers.values())
