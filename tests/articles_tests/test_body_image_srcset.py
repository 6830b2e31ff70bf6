"""Images inside article bodies offer the same 320/640/1280 WebP copies as covers, once the copies
are stored (a background task after an import; make_body_image_copies for older imports), and
only then: an image without copies, or on another site, keeps its src alone."""

import io
import re
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from PIL import Image

from articles.absolute_urls import absolutize_html
from articles.image_fields import store_body_image_copies
from articles.images import sanitize_image, variant_name
from articles.importers.service import ImportOptions, Upload, import_uploads
from articles.markdown import render_markdown
from articles.models import Article
from tests.articles_tests.image_samples import image_bytes
from tests.factories import make_article, make_column
from tests.helpers import run_queued_tasks

pytestmark = pytest.mark.django_db

IMAGE_TAG = re.compile(r"<img\b[^>]*>")
REMOTE = "https://example.org/elsewhere.png"


def zip_with(files: dict[str, bytes]) -> Upload:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for name, data in files.items():
            zipped.writestr(name, data)
    return Upload("upload.zip", archive.getvalue())


def import_with_photo(django_capture_on_commit_callbacks) -> Article:
    document = f"# 带图\n\n第一段。\n\n![照片](img/photo.jpg)\n\n![外链]({REMOTE})\n\n结尾。\n".encode()
    upload = zip_with({"doc/a.md": document, "doc/img/photo.jpg": image_bytes("JPEG", size=(1600, 1000))})
    with django_capture_on_commit_callbacks(execute=True):
        report = import_uploads(uploads=[upload], options=ImportOptions(), dry_run=False)
    assert report.ok
    return Article.objects.get()


def image_tags(html: str) -> dict[str, str]:
    """Each <img> by its src."""
    return {re.search(r'src="([^"]*)"', tag).group(1): tag for tag in IMAGE_TAG.findall(html)}


def srcset_of(tag: str) -> list[tuple[str, int]]:
    match = re.search(r'srcset="([^"]*)"', tag)
    assert match, tag
    return [(url, int(width.removesuffix("w"))) for url, width in (candidate.split() for candidate in match.group(1).split(", "))]


def stored_name(url: str) -> str:
    return url.removeprefix(default_storage.url(""))


def stored_image(size=(1600, 1000), color="blue") -> str:
    clean = sanitize_image(image_bytes("JPEG", size=size, color=color), max_bytes=10**7, max_pixels=10**8)
    return default_storage.save(f"imports/{clean.name}", ContentFile(clean.data))


def test_an_imported_image_offers_three_webp_copies_that_exist(django_capture_on_commit_callbacks):
    article = import_with_photo(django_capture_on_commit_callbacks)
    tags = image_tags(article.body_html)
    [photo] = [src for src in tags if src != REMOTE]
    candidates = srcset_of(tags[photo])
    assert [width for _, width in candidates] == [320, 640, 1280, 1600]
    assert candidates[-1][0] == photo
    for url, width in candidates[:3]:
        assert url.endswith(f"-{width}w.webp")
        with default_storage.open(stored_name(url)) as stored, Image.open(stored) as copy:
            assert copy.format == "WEBP" and copy.width == width
    assert 'sizes="' in tags[photo]
    assert "srcset" not in tags[REMOTE] and "sizes" not in tags[REMOTE]


def test_until_the_task_has_run_the_imported_image_keeps_its_src_alone(django_capture_on_commit_callbacks, database_tasks):
    article = import_with_photo(django_capture_on_commit_callbacks)
    assert "<img" in article.body_html and "srcset" not in article.body_html
    assert run_queued_tasks() == 1
    article.refresh_from_db()
    [photo] = [tag for src, tag in image_tags(article.body_html).items() if src != REMOTE]
    assert [width for _, width in srcset_of(photo)] == [320, 640, 1280, 1600]


def test_an_image_without_copies_or_unknown_or_small_keeps_its_src_alone():
    name = stored_image()
    small = stored_image(size=(300, 200), color="green")
    unknown = "/media/imports/0123456789abcdef01234567-1600x1000.jpg"
    body = f"![a]({default_storage.url(name)})\n\n![b]({unknown})\n\n![c]({default_storage.url(small)})\n\n![d]({REMOTE})"
    assert "srcset" not in render_markdown(body)
    assert store_body_image_copies(name) and store_body_image_copies(small)
    assert not default_storage.exists(variant_name(small, 320))
    tags = image_tags(render_markdown(body))
    assert "srcset" in tags[default_storage.url(name)]
    assert "srcset" not in tags[unknown] and "srcset" not in tags[default_storage.url(small)] and "srcset" not in tags[REMOTE]


def test_a_missing_copy_means_no_srcset():
    name = stored_image()
    store_body_image_copies(name)
    default_storage.delete(variant_name(name, 640))
    assert "srcset" not in render_markdown(f"![a]({default_storage.url(name)})")


@pytest.mark.parametrize(
    "srcset",
    [
        "https://evil.example/a-320w.webp 320w",
        "//evil.example/media/imports/0123456789abcdef01234567-1600x1000-320w.webp 320w",
        "javascript:alert(1) 320w",
        "/media/imports/0123456789abcdef01234567-1600x1000-320w.webp 320w, https://evil.example/b.webp 640w",
        "/media/../etc/0123456789abcdef01234567-1600x1000-320w.webp 320w",
    ],
)
def test_the_sanitizer_refuses_a_srcset_with_a_foreign_address(srcset):
    html = render_markdown(f'<img src="/media/imports/0123456789abcdef01234567-1600x1000.jpg" srcset="{srcset}" sizes="100vw" alt="x">')
    assert "<img" in html and "srcset" not in html


def test_the_sanitizer_keeps_a_srcset_of_our_own_copies_and_refuses_odd_sizes():
    own = "/media/imports/0123456789abcdef01234567-1600x1000-320w.webp 320w"
    html = render_markdown(f'<img src="/media/imports/0123456789abcdef01234567-1600x1000.jpg" srcset="{own}" sizes="100vw">')
    assert f'srcset="{own}"' in html and 'sizes="100vw"' in html
    assert "sizes" not in render_markdown('<img src="/a.jpg" sizes="url(https://evil.example/)">')


def test_make_body_image_copies_renders_older_articles_again():
    name = stored_image()
    article = make_article(make_column(), body=f"第一段。\n\n![图]({default_storage.url(name)})\n\n<!-- more -->\n\n付费段落。")
    assert "srcset" not in article.body_html
    call_command("make_body_image_copies", stdout=io.StringIO())
    article.refresh_from_db()
    assert [width for _, width in srcset_of(image_tags(article.body_html)[default_storage.url(name)])] == [320, 640, 1280, 1600]
    assert all(default_storage.exists(variant_name(name, width)) for width in (320, 640, 1280))


def test_feeds_and_emails_get_absolute_copy_addresses(settings):
    settings.SITE_URL = "https://portal.example"
    html = absolutize_html('<img src="/media/a.jpg" srcset="/media/a-320w.webp 320w, https://cdn.example/a.jpg 1600w">')
    assert 'srcset="https://portal.example/media/a-320w.webp 320w, https://cdn.example/a.jpg 1600w"' in html
