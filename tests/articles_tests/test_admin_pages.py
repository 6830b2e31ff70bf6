"""Admin lists and forms load, search, and keep a constant number of queries as data grows."""

import pytest
from django.urls import reverse
from django.utils.translation import gettext

from tests.articles_tests.test_pages import assert_constant_queries, grow
from tests.factories import make_column, make_editor, make_membership, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client):
    client.force_login(make_editor())
    return client


@pytest.mark.parametrize(
    "name",
    [
        "articles_column_changelist",
        "articles_article_changelist",
        "members_membership_changelist",
        "members_plan_changelist",
        "auth_user_changelist",
        "articles_importbatch_changelist",
    ],
)
def test_admin_lists_do_not_grow_in_queries(editor_client, name):
    column = make_column()
    grow(column, 2)
    make_membership(make_user(), column)

    def more():
        for _ in range(5):
            other = make_column()
            grow(other, 3)
            make_membership(make_user(), other)

    assert_constant_queries(editor_client, reverse(f"admin:{name}"), more)


def test_article_admin_shows_the_rendered_preview_and_full_text(editor_client):
    column = make_column()
    grow(column, 1)
    article = column.articles.get()
    html = editor_client.get(reverse("admin:articles_article_change", args=[article.pk])).content.decode()
    assert "免费段落" in html and "付费段落三" in html
    assert 'class="rendered-preview"' in html


def test_admin_search_and_filters(editor_client):
    make_column(title="能被搜到的专栏")
    make_column(title="另一个")
    html = editor_client.get(reverse("admin:articles_column_changelist") + "?q=搜到").content.decode()
    assert "能被搜到的专栏" in html and "另一个" not in html
    assert editor_client.get(reverse("admin:members_membership_changelist") + "?state=active").status_code == 200
    assert editor_client.get(reverse("admin:articles_article_changelist") + "?full_text_missing__exact=1").status_code == 200


def test_user_admin_shows_memberships_inline(editor_client):
    reader = make_user()
    make_membership(reader, make_column(title="读者的专栏"))
    html = editor_client.get(reverse("admin:auth_user_change", args=[reader.pk])).content.decode()
    assert "读者的专栏" in html


def test_article_admin_search_finds_words_in_the_text_through_the_index_and_keeps_filters(editor_client):
    from articles.models import Article
    from tests.factories import make_article

    column = make_column(title="专栏甲")
    make_article(column, title="第一篇", body="正文里讲到分镜脚本的写法。", status=Article.Status.DRAFT)
    make_article(column, title="分镜入门", body="别的内容。")
    make_article(column, title="无关", body="今天天气不错。")
    url = reverse("admin:articles_article_changelist")
    html = editor_client.get(url, {"q": "分镜"}).content.decode()
    assert "第一篇" in html and "分镜入门" in html and "无关" not in html
    drafts = editor_client.get(url, {"q": "分镜", "status__exact": "draft"}).content.decode()
    assert "第一篇" in drafts and "分镜入门" not in drafts
    assert "专栏甲" in editor_client.get(url, {"q": "专栏甲"}).content.decode()


def test_article_form_offers_the_sections_of_its_own_column(editor_client):
    from tests.factories import make_article, make_section

    column, other = make_column(), make_column()
    mine, theirs = make_section(column, title="本专栏的栏目"), make_section(other, title="别的专栏的栏目")
    article = make_article(column, section=mine)
    html = editor_client.get(reverse("admin:articles_article_change", args=[article.pk])).content.decode()
    assert "本专栏的栏目" in html and "别的专栏的栏目" not in html
    assert theirs.title in editor_client.get(reverse("admin:articles_article_add")).content.decode()


def test_admin_carries_the_sites_name(editor_client, settings):
    html = editor_client.get(reverse("admin:index")).content.decode()
    header = gettext("{site} administration").format(site=settings.SITE_NAME)
    assert f'<a href="{reverse("admin:index")}">{header}</a>' in html
    assert f"<title>{gettext('Columns, readers and orders')} | {gettext('{site} admin').format(site=settings.SITE_NAME)}</title>" in html
    for django_default in ("Django administration", "Django site admin", "Django 管理", "Django 站点管理员"):
        assert django_default not in html
