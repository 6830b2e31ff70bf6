"""Members keep what they paid for: the EPUB of a column holds exactly what the reader may read
in full when they download it, names them inside, and reaches no one else."""

import io
import re
import uuid
import zipfile
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from ebooklib import epub

from articles.images import sanitize_image
from articles.models import Article
from members.epub import CopyOwner, epub_build
from members.epub_pages import DOWNLOADS_PER_HOUR
from members.models import Membership
from members.services import order_create, order_mark_paid
from tests.articles_tests.image_samples import image_bytes
from tests.cache_contents import cached_texts
from tests.factories import PAID_PARAGRAPHS, make_article, make_column, make_membership, make_section, make_user

pytestmark = pytest.mark.django_db


def paid_member(reader, column):
    order = order_create(user=reader, plan=column.plans.get(), provider="manual", checkout_token=uuid.uuid4())
    order_mark_paid(order_id=order.pk, amount_fen=order.amount_fen)
    return order


def epub_url(column):
    return reverse("members:column-epub", kwargs={"slug": column.slug})


def read_book(data: bytes) -> epub.EpubBook:
    path = io.BytesIO(data)
    assert zipfile.ZipFile(path).read("mimetype") == b"application/epub+zip"
    return epub.read_epub(path, {"ignore_ncx": True})


def chapter_titles(book: epub.EpubBook) -> list[str]:
    """The articles' headings in reading order (the spine's)."""
    items = (book.get_item_with_id(idref) for idref, _ in book.spine)
    pages = [item.get_content().decode() for item in items if item.file_name.startswith("article-")]
    return [re.search(r"<h1>(.*?)</h1>", page).group(1) for page in pages]


def book_text(data: bytes) -> str:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return "\n".join(archive.read(name).decode() for name in archive.namelist() if name.endswith((".xhtml", ".opf")))


@pytest.fixture
def shelf(column):
    """A column with sections, and around it everything a member must not find in its book."""
    later, earlier = make_section(column, title="下篇", position=2), make_section(column, title="上篇", position=1)
    articles = {
        "free": make_article(column, title="免费开篇", body="免费文章的全文。", access=Article.Access.FREE, section=later),
        "paid": make_article(column, title="会员正文", section=earlier),
        "loose": make_article(column, title="未分栏目"),
        "draft": make_article(column, title="草稿", status=Article.Status.DRAFT, section=earlier),
        "scheduled": make_article(column, title="定时发布", published_at=timezone.now() + timedelta(hours=2), section=earlier),
    }
    other = make_column(title="别的专栏")
    articles["other"] = make_article(other, title="别人的付费文章")
    articles["other_free"] = make_article(other, title="别人的免费文章", access=Article.Access.FREE)
    return articles


def test_member_gets_exactly_the_articles_they_may_read(client, column, reader, shelf):
    paid_member(reader, column)
    client.force_login(reader)
    response = client.get(epub_url(column))
    assert response.status_code == 200
    book = read_book(response.content)
    # Sections in their order, articles by number in each, the unsectioned last: as the column page.
    assert chapter_titles(book) == ["会员正文", "免费开篇", "未分栏目"]
    text = book_text(response.content)
    assert PAID_PARAGRAPHS[0] in text
    for absent in ("草稿", "定时发布", "别人的付费文章", "别人的免费文章"):
        assert absent not in text


def test_expired_member_keeps_only_the_free_articles_and_cannot_download(client, column, reader, shelf):
    membership = make_membership(reader, column, expired=True)
    book = epub_build(user=reader, column=column, owner=CopyOwner(email=reader.email, order_number="", source="x"))
    assert chapter_titles(read_book(book.data)) == ["免费开篇"]
    assert PAID_PARAGRAPHS[0] not in book_text(book.data)
    client.force_login(reader)
    response = client.get(epub_url(column))
    assert response.status_code == 403
    assert response.context["membership"] == membership


def test_copy_names_its_reader_and_order_on_the_colophon_and_in_the_metadata(client, column, reader, shelf):
    order = paid_member(reader, column)
    client.force_login(reader)
    first, second = client.get(epub_url(column)), client.get(epub_url(column))
    book = read_book(first.content)
    colophon = book.get_item_with_href("colophon.xhtml").get_content().decode()
    assert reader.email in colophon and order.number in colophon
    rights = book.get_metadata("DC", "rights")[0][0]
    assert reader.email in rights and order.number in rights
    meta = {attributes.get("name"): attributes.get("content") for _, attributes in book.get_metadata("OPF", "meta")}
    assert meta["portal:reader-email"] == reader.email
    assert meta["portal:order-number"] == order.number
    identifiers = {read_book(each.content).get_metadata("DC", "identifier")[0][0] for each in (first, second)}
    assert len(identifiers) == 2, "every copy has an identifier of its own"


def test_the_download_is_a_private_attachment(client, column, reader):
    paid_member(reader, column)
    client.force_login(reader)
    response = client.get(epub_url(column))
    assert response["Content-Type"] == "application/epub+zip"
    assert response["Content-Disposition"] == f"attachment; filename=\"{column.slug}.epub\"; filename*=UTF-8''%E4%BB%98%E8%B4%B9%E4%B8%93%E6%A0%8F.epub"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_code_membership_downloads_and_says_so(client, column, reader):
    make_membership(reader, column, source=Membership.Source.CODE)
    client.force_login(reader)
    response = client.get(epub_url(column))
    assert response.status_code == 200
    book = read_book(response.content)
    assert "portal:order-number" not in {attributes.get("name") for _, attributes in book.get_metadata("OPF", "meta")}
    assert str(Membership.Source.CODE.label) in book.get_item_with_href("colophon.xhtml").get_content().decode()


def test_author_downloads_their_own_column(client, column, shelf):
    author_user = make_user()
    author = column.authors.get()
    author.user = author_user
    author.save()
    client.force_login(author_user)
    response = client.get(epub_url(column))
    assert response.status_code == 200
    assert chapter_titles(read_book(response.content)) == ["会员正文", "免费开篇", "未分栏目"]


def test_visitor_is_sent_to_sign_in(client, column):
    response = client.get(epub_url(column))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("how", ["stranger", "trial", "switched_off", "other_column"])
def test_readers_without_a_copy_get_403(client, column, reader, how):
    if how == "trial":
        make_membership(reader, column, days=7, source=Membership.Source.TRIAL)
    elif how == "switched_off":
        paid_member(reader, column)
        column.offers_epub = False
        column.save()
    elif how == "other_column":
        paid_member(reader, make_column())
    client.force_login(reader)
    response = client.get(epub_url(column))
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")


def test_unknown_column_is_404(client, reader):
    client.force_login(reader)
    assert client.get(reverse("members:column-epub", kwargs={"slug": "no-such-column"})).status_code == 404


def test_downloads_are_limited_per_reader(client, column, reader):
    paid_member(reader, column)
    client.force_login(reader)
    for _ in range(DOWNLOADS_PER_HOUR):
        assert client.get(epub_url(column)).status_code == 200
    refused = client.get(epub_url(column))
    assert refused.status_code == 429
    assert gettext("Too many downloads") in refused.content.decode()
    other = make_user()
    paid_member(other, column)
    client.force_login(other)
    assert client.get(epub_url(column)).status_code == 200, "another reader's downloads count apart"


def test_stored_images_are_embedded_and_others_dropped(client, column, reader):
    clean = sanitize_image(image_bytes(), max_bytes=10**6, max_pixels=10**6)
    name = default_storage.save(f"imports/{clean.name}", ContentFile(clean.data))
    gone = sanitize_image(image_bytes(color="blue"), max_bytes=10**6, max_pixels=10**6)
    body = f"![图一]({default_storage.url(name)})\n\n![丢失的图](/media/imports/{gone.name})\n\n![外链](https://example.org/x.png)"
    make_article(column, title="有图", body=body, access=Article.Access.FREE)
    paid_member(reader, column)
    client.force_login(reader)
    response = client.get(epub_url(column))
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.read(f"EPUB/images/{clean.name}") == clean.data
    page = next(archive.read(entry).decode() for entry in archive.namelist() if entry.startswith("EPUB/article-"))
    assert f'src="images/{clean.name}"' in page
    assert "[丢失的图]" in page and "[外链]" in page
    assert "example.org" not in page and "/media/" not in page


def test_the_column_cover_is_the_books_cover(client, column, reader):
    column.cover = SimpleUploadedFile("cover.png", image_bytes(size=(90, 60)), content_type="image/png")
    column.save()
    paid_member(reader, column)
    client.force_login(reader)
    book = read_book(client.get(epub_url(column)).content)
    cover = next(item for item in book.get_items() if item.file_name.startswith("images/cover-"))
    with default_storage.open(column.cover.name) as stored:
        assert cover.get_content() == stored.read()
    assert f'src="{cover.file_name}"' in book.get_item_with_href("title.xhtml").get_content().decode()


def test_building_takes_the_same_queries_however_many_articles(client, column, reader):
    """Sections and articles come in one query each, not one per article."""
    paid_member(reader, column)
    client.force_login(reader)
    section = make_section(column)
    make_article(column, section=section)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(epub_url(column)).status_code == 200
        return len(captured)

    before = count()
    for _ in range(6):
        make_article(column, section=make_section(column))
    assert count() == before


def test_column_page_links_the_epub_for_members_only(client, column, reader):
    make_article(column, access=Article.Access.FREE)
    link = f'href="{epub_url(column)}"'
    visitor_page = client.get(column.get_absolute_url()).content.decode()
    assert link not in visitor_page
    paid_member(reader, column)
    client.force_login(reader)
    assert link in client.get(column.get_absolute_url()).content.decode()
    client.logout()
    client.cookies.clear()
    assert link not in client.get(column.get_absolute_url()).content.decode()
    assert not any(epub_url(column) in text for text in cached_texts()), "no kept page carries the link"


def test_column_page_has_no_link_when_switched_off(client, column, reader):
    paid_member(reader, column)
    column.offers_epub = False
    column.save()
    client.force_login(reader)
    assert epub_url(column) not in client.get(column.get_absolute_url()).content.decode()


def test_my_columns_links_the_epub_of_active_paid_memberships(client, column, reader):
    paid_member(reader, column)
    trial_column, ended_column = make_column(), make_column()
    make_membership(reader, trial_column, days=7, source=Membership.Source.TRIAL)
    make_membership(reader, ended_column, expired=True)
    client.force_login(reader)
    page = client.get(reverse("members:my-columns")).content.decode()
    assert epub_url(column) in page
    assert epub_url(trial_column) not in page
    assert epub_url(ended_column) not in page
