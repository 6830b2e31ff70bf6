"""No paid sentence leaves the server for a reader who did not pay.

Builds a small site with free, paid, draft and scheduled articles, then crawls every link an
anonymous reader and a logged-in non-member can reach: pages, feeds, the sitemap, robots.txt and
search results for words taken from the paid text. Every response, decoded every way text can be
escaped (HTML entities, JSON \\u escapes, percent-encoding), must be free of every secret sentence.
The same crawl as a member finds the paid text, so the test cannot pass by finding nothing.
"""

import html
import re
from collections import deque
from datetime import timedelta
from urllib.parse import unquote, urldefrag, urlencode, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Column, Comment
from members.feed_keys import feed_key_issue, private_feed_path
from tests.cache_contents import cached_texts
from tests.factories import make_article, make_column, make_membership, make_user

pytestmark = pytest.mark.django_db

MAX_PAGES = 400
LINK = re.compile(r"""(?:href|src|action)\s*=\s*["']([^"'<>]+)["']|<(?:loc|link|id)>\s*([^<\s]+)\s*</|^Sitemap:\s*(\S+)""", re.M)
UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
# Never followed: the admin, signing out, and files that are not text.
SKIPPED_PREFIXES = ("/admin/", "/accounts/logout/", "/static/", "/media/", "/i18n/")

# Words that occur only in paid text; the crawl also searches for each of them.
SECRET_WORDS = ["手风琴", "紫藤萝", "量子猫", "变现秘籍"]


def sentences(prefix: str, count: int) -> list[str]:
    words = SECRET_WORDS
    return [f"{prefix}第{n}句：{words[n % len(words)]}在图书馆里弹奏第{n}首无人听过的曲子。" for n in range(1, count + 1)]


class Site:
    """The crawled site: which sentences are secret for whom."""

    def __init__(self):
        self.paid_column = make_column(title="付费专栏", plans=(("annual", 9900),))
        self.other_column = make_column(title="另一付费专栏", plans=(("lifetime", 1990),))
        self.free_column = make_column(title="免费专栏", plans=(), is_free=True)
        self.draft_column = make_column(title="草稿专栏", status=Column.Status.DRAFT)

        self.public_sentences = ["公开开场白：任何人都能读到这一句关于短视频的引言。"]
        marked_paid = sentences("标记付费", 3)
        self.marked = make_article(
            self.paid_column,
            title="有分隔标记的会员文章",
            body="\n\n".join([self.public_sentences[0], "<!-- more -->", *marked_paid]),
        )
        # No marker: the preview is cut automatically; whatever the cut left out is secret.
        auto = sentences("自动截断", 14)
        self.auto_cut = make_article(self.paid_column, title="自动截断的会员文章", body="\n\n".join(auto))
        auto_paid = [s for s in auto if s not in self.auto_cut.preview_html]
        assert auto_paid, "the automatic cut should leave something for members"
        other_paid = sentences("另一专栏付费", 3)
        self.other = make_article(self.other_column, title="另一专栏的会员文章", body="\n\n".join(["另一专栏的公开开场白。", "<!-- more -->", *other_paid]))
        self.free_in_paid = make_article(self.paid_column, title="付费专栏里的免费文章", body="免费文章全文：这一句谁都可以读。", access=Article.Access.FREE)
        self.free_column_article = make_article(self.free_column, title="免费专栏文章", body="免费专栏全文：这一句谁都可以读。")

        # Never shown to readers at all, members included.
        self.unpublished = [
            *sentences("草稿", 2),
            *sentences("定时", 2),
            *sentences("草稿专栏", 2),
        ]
        make_article(self.paid_column, title="草稿文章", body="\n\n".join(self.unpublished[0:2]), status=Article.Status.DRAFT)
        make_article(
            self.paid_column,
            title="定时文章",
            body="\n\n".join(self.unpublished[2:4]),
            published_at=timezone.now() + timedelta(days=3),
        )
        make_article(self.draft_column, title="草稿专栏文章", body="\n\n".join(self.unpublished[4:6]), access=Article.Access.FREE)

        self.paid_in_paid_column = marked_paid + auto_paid
        self.paid_in_other_column = other_paid
        self.paid_articles = [self.marked, self.auto_cut, self.other]

        # Comments on a members-only article are as secret as its text; on a free one, public.
        commenter, other_commenter = make_user(), make_user()
        make_membership(commenter, self.paid_column)
        make_membership(other_commenter, self.other_column)
        self.comments_in_paid_column = sentences("会员评论", 2)
        self.comments_in_other_column = sentences("另一专栏评论", 1)
        self.public_comment = "免费文章的评论：这一句谁都可以读。"
        for article, text in zip((self.marked, self.auto_cut), self.comments_in_paid_column, strict=True):
            Comment.objects.create(article=article, user=commenter, body=text)
        Comment.objects.create(article=self.other, user=other_commenter, body=self.comments_in_other_column[0])
        Comment.objects.create(article=self.free_in_paid, user=commenter, body=self.public_comment)

    @property
    def every_secret(self) -> list[str]:
        return self.paid_in_paid_column + self.paid_in_other_column + self.unpublished + self.comments_in_paid_column + self.comments_in_other_column


def decoded_forms(body: str) -> list[str]:
    """The text as served, and as a browser, an RSS reader or a JSON parser would read it."""
    json_unescaped = UNICODE_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), body)
    readable = html.unescape(json_unescaped)
    return [body, readable, html.unescape(readable), unquote(readable)]


def internal_path(url: str, origin: str) -> str | None:
    url = urldefrag(html.unescape(url.strip()))[0]
    if not url or url.startswith(("mailto:", "javascript:", "data:", "tel:", "#")):
        return None
    parts = urlsplit(url)
    if parts.scheme and parts.scheme not in ("http", "https"):
        return None
    if parts.netloc and parts.netloc not in (origin, "testserver"):
        return None
    if not parts.path.startswith("/") or parts.path.startswith(SKIPPED_PREFIXES):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def comment_paths(site: Site) -> list[str]:
    """The comments of the paid articles, as a page and as the block the article page loads."""
    return [reverse(name, kwargs={"pk": article.pk}) for article in site.paid_articles for name in ("articles:comments", "articles:comments-block")]


def search_paths(site: Site) -> list[str]:
    search = reverse("articles:search")
    paths = [f"{search}?{urlencode({'q': word})}" for word in SECRET_WORDS]
    paths += [f"{search}?{urlencode({'q': word, 'column': site.paid_column.slug})}" for word in SECRET_WORDS]
    return paths


def crawl(client, site: Site, *, extra: tuple[str, ...] = ()) -> dict[str, str]:
    """Every text response reachable by following links from the home page and the well-known
    addresses, keyed by path."""
    from django.conf import settings

    origin = urlsplit(settings.SITE_URL).netloc
    start = ["/", "/robots.txt", "/sitemap.xml", *search_paths(site), *extra]
    start += [article.get_absolute_url() for article in site.paid_articles]
    start += comment_paths(site)
    queue, seen, bodies = deque(start), set(start), {}
    while queue and len(bodies) < MAX_PAGES:
        path = queue.popleft()
        response = client.get(path)
        if response.status_code in (301, 302, 303, 307, 308):
            target = internal_path(response["Location"], origin)
            if target and target not in seen:
                seen.add(target)
                queue.append(target)
            continue
        content_type = response.get("Content-Type", "")
        if not any(kind in content_type for kind in ("text/", "xml", "json", "javascript")):
            continue
        body = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
        bodies[path] = body
        for match in LINK.finditer(body):
            target = internal_path(next(group for group in match.groups() if group), origin)
            if target and target not in seen:
                seen.add(target)
                queue.append(target)
    return bodies


def leaks(bodies: dict[str, str], secrets: list[str]) -> list[tuple[str, str]]:
    found = []
    for path, body in bodies.items():
        forms = decoded_forms(body)
        for secret in secrets:
            if any(secret in form for form in forms):
                found.append((path, secret))
    return found


@pytest.fixture
def site():
    return Site()


def assert_every_door_was_tried(bodies: dict[str, str], site: Site) -> None:
    """The crawl reached each way text leaves the server, so an empty leak list means something."""
    visited = set(bodies)
    for path in (
        "/robots.txt",
        "/sitemap.xml",
        reverse("articles:feed"),
        reverse("articles:feed-atom"),
        reverse("articles:column-feed", kwargs={"slug": site.paid_column.slug}),
        reverse("articles:column-feed-atom", kwargs={"slug": site.paid_column.slug}),
        site.marked.get_absolute_url(),
        site.auto_cut.get_absolute_url(),
        site.other.get_absolute_url(),
        *search_paths(site),
        *comment_paths(site),
    ):
        assert path in visited, f"the crawl never reached {path}"
    assert any(path.startswith("/sitemap-articles") for path in visited)
    assert any(path.startswith("/tag/") or path.startswith("/author/") for path in visited)


def test_anonymous_crawl_finds_no_paid_sentence(client, site):
    bodies = crawl(client, site)
    assert_every_door_was_tried(bodies, site)
    assert leaks(bodies, site.every_secret) == []
    # The crawl really reached the public text, so finding nothing above means something.
    assert any(site.public_sentences[0] in body for body in bodies.values())
    assert any("免费专栏全文" in body for body in bodies.values())
    # Comments were crawled too: a free article's are public, and the crawl found them.
    assert any(site.public_comment in body for body in bodies.values())


def test_logged_in_non_member_crawl_finds_no_paid_sentence(client, site):
    reader = make_user()
    client.force_login(reader)
    bodies = crawl(client, site, extra=("/me/columns/", "/me/orders/", "/me/referrals/"))
    assert "/me/columns/" in bodies
    assert_every_door_was_tried(bodies, site)
    assert leaks(bodies, site.every_secret) == []


def test_expired_member_crawl_finds_no_paid_sentence(client, site):
    reader = make_user()
    make_membership(reader, site.paid_column, expired=True)
    # The private feed address they kept from their membership still works, with previews only.
    private = private_feed_path(feed_key_issue(user=reader, column=site.paid_column))
    client.force_login(reader)
    bodies = crawl(client, site, extra=("/me/columns/",))
    assert leaks(bodies, site.every_secret) == []
    client.logout()
    bodies = crawl(client, site, extra=(private, private + "atom/"))
    assert private in bodies and private + "atom/" in bodies
    assert leaks(bodies, site.every_secret) == []


def test_member_crawl_finds_their_columns_paid_text_and_nothing_else(client, site):
    member = make_user()
    make_membership(member, site.paid_column, days=30)
    client.force_login(member)
    private = private_feed_path(feed_key_issue(user=member, column=site.paid_column))
    bodies = crawl(client, site, extra=("/me/columns/",))
    assert_every_door_was_tried(bodies, site)
    found = {secret for _, secret in leaks(bodies, site.paid_in_paid_column)}
    assert found == set(site.paid_in_paid_column)
    assert leaks(bodies, site.paid_in_other_column + site.unpublished + site.comments_in_other_column) == []
    # The comments of their column's paid articles are theirs to read too.
    assert {secret for _, secret in leaks(bodies, site.comments_in_paid_column)} == set(site.comments_in_paid_column)
    # Search finds words from the paid text for the member, with the paid text in the snippet.
    search_hits = {path: body for path, body in bodies.items() if path.startswith(reverse("articles:search"))}
    assert leaks(search_hits, site.paid_in_paid_column) or any("<mark>手风琴</mark>" in body for body in search_hits.values())
    # The pages kept in the cache for them and everyone else hold no paid sentence: the member's
    # text came from the database into a skeleton, request by request.
    assert leaks({f"cache entry {n}": text for n, text in enumerate(cached_texts())}, site.every_secret) == []
    # Their private feed, read by their RSS reader without a session, carries the full text.
    client.logout()
    feed = crawl(client, site, extra=(private,))[private]
    assert {secret for _, secret in leaks({private: feed}, site.paid_in_paid_column)} == set(site.paid_in_paid_column)


def test_a_members_page_is_never_served_from_cache_to_anyone_else(client, site):
    """Whatever page or fragment caching the site uses, a member's view of a paid article and an
    anonymous reader's view of it, through the same cache, stay apart in both orders."""
    from django.test import Client

    member = make_user()
    make_membership(member, site.paid_column, days=30)
    member_client, anonymous, non_member = Client(), Client(), Client()
    member_client.force_login(member)
    non_member.force_login(make_user())
    secrets = site.paid_in_paid_column
    for article in (site.marked, site.auto_cut):
        url = article.get_absolute_url()
        for _ in range(2):
            assert leaks({url: member_client.get(url).content.decode()}, secrets), "the member reads the paid text"
            assert leaks({url: anonymous.get(url).content.decode()}, secrets) == []
            assert leaks({url: non_member.get(url).content.decode()}, secrets) == []
    # The reverse order: previews cached first must not stop a member from reading in full.
    url = site.other.get_absolute_url()
    assert leaks({url: anonymous.get(url).content.decode()}, site.paid_in_other_column) == []
    make_membership(member, site.other_column, days=30)
    assert {s for _, s in leaks({url: member_client.get(url).content.decode()}, site.paid_in_other_column)} == set(site.paid_in_other_column)
