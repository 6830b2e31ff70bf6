"""Re-importing later snapshots of a column page: posts are known by what they state about
themselves, never by their place in the listing. A snapshot adds new posts, updates changed
ones (not ones edited since import), and never deletes, renames or repurposes an article."""

import pytest

from articles.importers.service import Action, ImportOptions, Upload, import_uploads
from articles.models import Article, Column
from tests.factories import make_user

pytestmark = pytest.mark.django_db

TOPICS = ["起步", "工具", "提示词", "分镜", "剪辑", "配乐", "发布", "复盘", "变现", "答疑", "案例", "趋势"]


def post_title(number: int) -> str:
    return f"{TOPICS[number % len(TOPICS)]}篇：关于{TOPICS[number % len(TOPICS)]}，你要知道的{number}件事"


def snapshot(numbers, *, numbered=True, readers=242, posts_total=189, updated="2024-11-28", changed=(), author="清风徐来") -> Upload:
    """A xiaobot page listing the given posts, newest first, as awesome-xiaobot archives it."""
    lines = [
        "# Sora 研究所_小报童_Awesome_XiaoBOT",
        "",
        "## Sora 研究所介绍",
        "> 每周更新 Sora 的一切。",
        "",
        "|名称|作者|读者数量|内容数量|更新时间|",
        "|---|---|---|---|---|",
        f"|[Sora 研究所](https://xiaobot.net/p/sora-lab?refer=x1)|{author}|{readers}人|{posts_total}篇|{updated}|",
        "",
        "## 最近更新",
    ]
    for number in sorted(numbers, reverse=True):
        heading = f"{number:03d} {post_title(number)}" if numbered else post_title(number)
        body = f"第 {number} 篇的全文。" + ("（作者修订过）" if number in changed else "")
        lines += [f"### {heading}", "", body, ""]
    return Upload("sora-lab.md", "\n".join(lines).encode())


def run(upload, *, dry_run=False):
    report = import_uploads(uploads=[upload], options=ImportOptions(), dry_run=dry_run)
    assert report.ok, report.failed
    return report.files[0]


def articles_by_pk():
    return {article.pk: (article.title, article.body, article.number) for article in Article.objects.all()}


def actions(file):
    return {outcome.title: outcome.action for outcome in file.articles}


@pytest.mark.parametrize("numbered", [True, False], ids=["numbered", "titles-only"])
def test_a_newer_snapshot_with_no_post_in_common_adds_them_and_keeps_every_earlier_article(numbered):
    run(snapshot(range(1, 11), numbered=numbered))
    before = articles_by_pk()
    urls = {pk: Article.objects.get(pk=pk).get_absolute_url() for pk in before}

    file = run(snapshot(range(180, 190), numbered=numbered, readers=300, posts_total=199, updated="2024-12-20"))

    assert file.summary[Action.CREATE] == 10 and file.summary[Action.UPDATE] == 0
    after = articles_by_pk()
    assert len(after) == 20
    for pk, (title, body, number) in before.items():
        assert after[pk] == (title, body, number), "an earlier post was rewritten"
        assert Article.objects.get(pk=pk).get_absolute_url() == urls[pk]
    assert sorted(file.not_listed) == sorted(title for title, _, _ in before.values())
    column = Column.objects.get()
    assert (column.stated_reader_count, column.stated_article_count, column.source_updated_on.isoformat()) == (300, 199, "2024-12-20")


@pytest.mark.parametrize("numbered", [True, False], ids=["numbered", "titles-only"])
def test_an_overlapping_snapshot_adds_updates_and_keeps_edited_articles(numbered):
    run(snapshot(range(1, 11), numbered=numbered))
    edited = Article.objects.get(title=post_title(7))
    edited.body += "\n\n编辑补充的一段。"
    edited.save()
    before = articles_by_pk()

    file = run(snapshot(range(6, 16), numbered=numbered, changed={6, 7}, updated="2024-12-01"))

    by_title = actions(file)
    assert [by_title[post_title(number)] for number in range(6, 16)] == [
        Action.UPDATE,
        Action.KEPT_EDITED,
        Action.UNCHANGED,
        Action.UNCHANGED,
        Action.UNCHANGED,
        *[Action.CREATE] * 5,
    ]
    assert len(file.not_listed) == 5
    assert Article.objects.count() == 15
    after = articles_by_pk()
    assert after[edited.pk] == before[edited.pk], "the editor's version stays"
    changed = Article.objects.get(title=post_title(6))
    assert "作者修订过" in changed.body and changed.pk in before
    for pk in before:
        if pk not in (edited.pk, changed.pk):
            assert after[pk] == before[pk]


def test_new_posts_without_numbers_are_numbered_after_the_column_oldest_first():
    run(snapshot(range(1, 11), numbered=False))
    run(snapshot(range(11, 14), numbered=False))
    newest = list(Article.objects.order_by("-number").values_list("title", "number")[:3])
    assert newest == [(post_title(13), 13), (post_title(12), 12), (post_title(11), 11)]


def test_a_page_that_stops_numbering_its_posts_still_finds_the_numbered_ones():
    run(snapshot(range(1, 11), numbered=True))
    file = run(snapshot(range(6, 16), numbered=False))
    assert file.summary == {Action.CREATE: 5, Action.UPDATE: 0, Action.UNCHANGED: 5, Action.KEPT_EDITED: 0}
    assert Article.objects.count() == 15


def test_reimporting_an_unnumbered_snapshot_changes_nothing():
    run(snapshot(range(1, 11), numbered=False))
    before = list(Article.objects.order_by("pk").values("pk", "title", "body", "updated_at", "import_ref"))
    file = run(snapshot(range(1, 11), numbered=False))
    assert file.summary[Action.UNCHANGED] == 10
    assert list(Article.objects.order_by("pk").values("pk", "title", "body", "updated_at", "import_ref")) == before


def test_the_dry_run_tells_each_post_and_the_posts_no_longer_listed_and_writes_nothing():
    run(snapshot(range(1, 11)))
    before = articles_by_pk()
    file = run(snapshot(range(8, 13), changed={8}), dry_run=True)
    assert file.summary == {Action.CREATE: 2, Action.UPDATE: 1, Action.UNCHANGED: 2, Action.KEPT_EDITED: 0}
    assert sorted(file.not_listed) == sorted(post_title(number) for number in range(1, 8))
    assert articles_by_pk() == before


def test_articles_imported_under_the_old_position_keys_are_found_by_their_titles():
    """Before identities, a page without numbers keyed its posts by their place ("…#010")."""
    run(snapshot(range(1, 11), numbered=False))
    for article in Article.objects.all():
        article.import_ref = f"https://xiaobot.net/p/sora-lab#{article.number:03d}"
        article.save(update_fields=["import_ref"])
    file = run(snapshot(range(101, 111), numbered=False))
    assert file.summary[Action.CREATE] == 10
    assert Article.objects.count() == 20
    file = run(snapshot(range(1, 11), numbered=False))
    assert file.summary[Action.UNCHANGED] == 10 and Article.objects.count() == 20


def test_a_bar_inside_the_author_cell_does_not_shift_the_figures():
    run(snapshot(range(1, 3), author="张三|Zhang San", readers=512, posts_total=88))
    column = Column.objects.get()
    assert (column.stated_reader_count, column.stated_article_count) == (512, 88)
    assert [author.display_name for author in column.authors.all()] == ["张三|Zhang San"]


def test_an_editor_who_retitled_an_article_keeps_it_when_the_source_lists_it_again():
    run(snapshot(range(1, 4), numbered=False))
    article = Article.objects.get(title=post_title(2))
    article.title = "编辑改过的标题"
    article.save()
    file = run(snapshot(range(1, 4), numbered=False))
    assert file.summary[Action.KEPT_EDITED] == 1 and Article.objects.count() == 3


def test_members_keep_reading_what_they_paid_for_after_a_snapshot_without_it():
    from members.models import Membership
    from members.services import membership_grant

    run(snapshot(range(1, 11), numbered=False))
    column = Column.objects.get()
    reader = make_user()
    membership_grant(user=reader, column=column, source=Membership.Source.COMPLIMENTARY, days=30, note="test")
    paid = list(Article.objects.order_by("number").values_list("pk", "body"))
    run(snapshot(range(50, 60), numbered=False))
    assert list(Article.objects.filter(pk__in=[pk for pk, _ in paid]).order_by("number").values_list("pk", "body")) == paid
