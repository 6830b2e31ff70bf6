"""Covers and avatars uploaded through admin are stored re-encoded; a bad file is refused on its field."""

import io

import pytest
from django.contrib import admin
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from PIL import Image

from articles.images import variant_name
from articles.models import Author, Column
from portal.media import serve_media
from tests.articles_tests.image_samples import image_bytes, png_bomb, rotated_jpeg_with_gps
from tests.factories import make_column, make_editor

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def editor_client(client):
    client.force_login(make_editor())
    return client


def column_form(column, files, **changes):
    request = RequestFactory().post("/")
    request.user = make_editor()
    model_admin = admin.site._registry[Column]
    form_class = model_admin.get_form(request, column, change=True)
    data = {name: value for name, value in form_class(instance=column).initial.items() if value is not None}
    data["authors"] = [author.pk for author in column.authors.all()]
    data.update(changes)
    return form_class(data, files, instance=column)


def test_a_good_cover_is_saved_re_encoded_with_its_variants():
    column = make_column()
    upload = SimpleUploadedFile("holiday photo.JPG", rotated_jpeg_with_gps(size=(1500, 1000)), content_type="image/jpeg")
    form = column_form(column, {"cover": upload}, tagline="新的一句话")
    assert form.is_valid(), form.errors
    form.save()
    column.refresh_from_db()
    name = column.cover.name
    assert name.startswith("covers/") and name.endswith("-1000x1500.jpg") and "holiday" not in name
    with default_storage.open(name) as stored, Image.open(stored) as image:
        assert image.size == (1000, 1500) and not image.getexif()
    for width in (320, 640):
        assert default_storage.exists(variant_name(name, width))
    assert column.tagline == "新的一句话"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "valid image"),
        (png_bomb(20_000), "valid image"),
        (image_bytes("BMP", size=(20, 20)), "JPEG, PNG, WebP or GIF"),
    ],
)
def test_a_bad_cover_is_refused_with_a_message_and_the_typed_fields_are_kept(payload, message):
    column = make_column(tagline="旧的")
    form = column_form(column, {"cover": SimpleUploadedFile("cover.png", payload)}, tagline="刚刚输入的")
    assert not form.is_valid()
    assert list(form.errors) == ["cover"]
    assert message in " ".join(form.errors["cover"])
    assert form["tagline"].value() == "刚刚输入的"
    column.refresh_from_db()
    assert not column.cover and column.tagline == "旧的"


def test_a_cover_over_the_pixel_limit_says_so(settings):
    settings.IMAGE_MAX_PIXELS = 100 * 100
    column = make_column()
    form = column_form(column, {"cover": SimpleUploadedFile("big.png", image_bytes("PNG", size=(101, 100)))})
    assert not form.is_valid()
    assert "megapixels" in " ".join(form.errors["cover"])


def test_editing_other_fields_does_not_decode_the_stored_cover_again():
    column = make_column()
    form = column_form(column, {"cover": SimpleUploadedFile("a.png", image_bytes("PNG", size=(400, 300)))})
    assert form.is_valid(), form.errors
    form.save()
    column.refresh_from_db()
    stored = column.cover.name
    default_storage.delete(stored)  # a stored file is trusted: not even opened
    form = column_form(column, {}, tagline="只改了这个")
    assert form.is_valid(), form.errors
    form.save()
    column.refresh_from_db()
    assert column.cover.name == stored and column.tagline == "只改了这个"


def test_an_avatar_uploaded_through_the_admin_page_is_re_encoded(editor_client):
    response = editor_client.post(
        reverse("admin:articles_author_add"),
        {"display_name": "图片作者", "bio": "", "avatar": SimpleUploadedFile("me.gif", image_bytes("GIF", size=(200, 200)))},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    avatar = Author.objects.get(display_name="图片作者").avatar
    assert avatar.name.startswith("avatars/") and avatar.name.endswith("-200x200.png")


def test_a_bad_avatar_on_the_admin_page_keeps_what_was_typed(editor_client):
    response = editor_client.post(
        reverse("admin:articles_author_add"),
        {"display_name": "保留的名字", "bio": "保留的简介", "avatar": SimpleUploadedFile("me.jpg", b"<html>not an image</html>")},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "errorlist" in html and "保留的名字" in html and "保留的简介" in html
    assert not Author.objects.filter(display_name="保留的名字").exists()


def test_pages_show_covers_with_srcset_and_intrinsic_size(client):
    column = make_column()
    form = column_form(column, {"cover": SimpleUploadedFile("a.webp", image_bytes("WEBP", size=(1400, 700)))})
    assert form.is_valid(), form.errors
    form.save()
    column.refresh_from_db()
    html = client.get(column.get_absolute_url()).content.decode()
    assert f'src="{column.cover.url}"' in html
    assert f"{default_storage.url(variant_name(column.cover.name, 640))} 640w" in html
    assert 'width="1400" height="700"' in html and 'decoding="async"' in html


def test_media_is_served_as_an_image_with_nosniff_and_a_sandbox(settings):
    # The URLconf captured MEDIA_ROOT at import; the tests' media lives in a temporary folder.
    def get(path):
        return serve_media(RequestFactory().get(f"/media/{path}"), path)

    column = make_column()
    form = column_form(column, {"cover": SimpleUploadedFile("a.png", image_bytes("PNG"))})
    assert form.is_valid(), form.errors
    form.save()
    column.refresh_from_db()
    response = get(column.cover.name)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == "inline"
    assert "sandbox" in response["Content-Security-Policy"]
    default_storage.save("covers/uploaded.html", io.BytesIO(b"<script>alert(1)</script>"))
    response = get("covers/uploaded.html")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == "attachment"
