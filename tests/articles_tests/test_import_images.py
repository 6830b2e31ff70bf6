"""Images inside imported documents are re-encoded; a refused one is reported and never breaks the import."""

import io
import zipfile

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from articles.importers.service import ImportOptions, Upload, import_uploads
from articles.models import Article
from tests.articles_tests.image_samples import image_bytes, png_bomb, rotated_jpeg_with_gps

pytestmark = pytest.mark.django_db


def zip_with(files: dict[str, bytes]) -> Upload:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for name, data in files.items():
            zipped.writestr(name, data)
    return Upload("upload.zip", archive.getvalue())


def imported(upload, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return import_uploads(uploads=[upload], options=ImportOptions(), dry_run=False)


def test_imported_images_are_stored_re_encoded_without_exif(django_capture_on_commit_callbacks):
    document = "# 带图\n\n第一段。\n\n![](img/photo.jpg)\n\n结尾。\n".encode()
    report = imported(zip_with({"doc/a.md": document, "doc/img/photo.jpg": rotated_jpeg_with_gps(size=(60, 40))}), django_capture_on_commit_callbacks)
    assert report.ok and report.files[0].articles[0].images_found == 1
    stored = Article.objects.get().body_html.split('src="/media/')[1].split('"')[0]
    assert stored.startswith("imports/") and stored.endswith("-40x60.jpg")
    with default_storage.open(stored) as file, Image.open(file) as image:
        assert image.size == (40, 60) and not image.getexif()


@pytest.mark.parametrize(
    "bad",
    [png_bomb(20_000), b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", image_bytes("BMP", size=(8, 8)), image_bytes("JPEG")[:200]],
)
def test_a_refused_image_becomes_a_placeholder_and_a_warning(bad, django_capture_on_commit_callbacks):
    document = "# 带图\n\n第一段。\n\n![](img/bad.png)\n\n![](img/good.png)\n\n结尾。\n".encode()
    report = imported(zip_with({"doc/a.md": document, "doc/img/bad.png": bad, "doc/img/good.png": image_bytes("PNG")}), django_capture_on_commit_callbacks)
    assert report.ok
    html = Article.objects.get().body_html
    assert "media-placeholder" in html and html.count('src="/media/imports/') == 1
    assert any("img/bad.png" in warning for warning in report.files[0].warnings)
    assert "第一段" in html and "结尾" in html
