"""Media on S3-compatible object storage (django-storages), so every web node sees the same files:
covers and imported images go to the public "media/" prefix, import documents to the private one.
moto stands in for S3."""

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile

from articles.importers.service import ImportOptions, Upload, import_uploads
from articles.models import Article, ImportBatch, ImportBatchFile
from portal.env import s3_storage_settings
from tests.articles_tests.image_samples import image_bytes, rotated_jpeg_with_gps
from tests.factories import make_column

moto = pytest.importorskip("moto", reason="moto (a test dependency) is not installed")
pytest.importorskip("storages", reason="django-storages (the s3 extra) is not installed")
import boto3  # noqa: E402

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
BUCKET = "portal-media"
CDN = "media.example.com"


@pytest.fixture
def s3(settings, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with moto.mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        configured = s3_storage_settings(bucket=BUCKET, region="us-east-1", custom_domain=CDN)
        settings.STORAGES = {**settings.STORAGES, "default": configured["default"], "private": configured["private"]}
        settings.MEDIA_URL = configured["media_url"]
        # The field resolved its storage when the models loaded, as it does in production, where
        # settings are read once at start-up.
        field = ImportBatchFile._meta.get_field("file")
        original, field.storage = field.storage, storages["private"]
        try:
            yield client
        finally:
            field.storage = original


def keys(client, prefix=""):
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", []))


def is_public(client, key) -> bool:
    grants = client.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
    return any(grant["Grantee"].get("URI", "").endswith("/AllUsers") for grant in grants)


def test_a_cover_goes_to_the_bucket_with_its_variants_public_and_cached(s3, client):
    column = make_column(title="云端封面")
    column.cover = SimpleUploadedFile("cover.jpg", rotated_jpeg_with_gps(size=(900, 600)), content_type="image/jpeg")
    column.save()
    stored = keys(s3, "media/covers/")
    assert f"media/{column.cover.name}" in stored
    assert any(key.endswith("-320w.webp") for key in stored), "the smaller WebP copies for srcset too"
    head = s3.head_object(Bucket=BUCKET, Key=f"media/{column.cover.name}")
    assert head["CacheControl"] == "public, max-age=31536000, immutable"
    assert head["ContentType"] == "image/jpeg"
    assert is_public(s3, f"media/{column.cover.name}")
    assert column.cover.url == f"https://{CDN}/media/{column.cover.name}"
    page = client.get(column.get_absolute_url()).content.decode()
    assert f"https://{CDN}/media/{column.cover.name}" in page


def test_imported_images_are_stored_in_the_bucket_and_linked_from_the_cdn(s3, django_capture_on_commit_callbacks):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("doc/a.md", "# 带图\n\n第一段。\n\n![](img/photo.png)\n\n结尾。\n".encode())
        zipped.writestr("doc/img/photo.png", image_bytes("PNG", size=(50, 40)))
    with django_capture_on_commit_callbacks(execute=True):
        report = import_uploads(uploads=[Upload("upload.zip", archive.getvalue())], options=ImportOptions(), dry_run=False)
    assert report.ok, report.failed
    image_keys = keys(s3, "media/imports/")
    assert image_keys and all(is_public(s3, key) for key in image_keys)
    assert f'src="https://{CDN}/{image_keys[0]}"' in Article.objects.get().body_html


def test_uploaded_import_documents_stay_private_in_the_bucket(s3):
    batch = ImportBatch.objects.create()
    stored = ImportBatchFile(batch=batch, name="付费全文.md", size=9)
    stored.file.save("付费全文.md", ContentFile("付费全文。".encode()), save=False)
    stored.save()
    key = f"private/{stored.file.name}"
    assert key in keys(s3, "private/")
    assert keys(s3, "media/") == []
    assert not is_public(s3, key)
    url = stored.file.url
    assert "X-Amz-Signature=" in url or "Signature=" in url, "only a signed, expiring address"
    with stored.file.open("rb") as handle:
        assert handle.read().decode() == "付费全文。"


def test_settings_switch_to_the_bucket_when_one_is_named(tmp_path):
    environment = {
        **os.environ,
        "DJANGO_S3_BUCKET": BUCKET,
        "DJANGO_S3_CUSTOM_DOMAIN": CDN,
        "DJANGO_S3_REGION": "us-east-1",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'default': s.STORAGES['default']['BACKEND'], 'private': s.STORAGES['private']['OPTIONS']['default_acl'], "
        "'media': s.MEDIA_URL, 'serve': s.SERVE_MEDIA, 'img': s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']}))"
    )
    output = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True, check=True).stdout
    configured = json.loads(output.strip().splitlines()[-1])
    assert configured["default"] == "storages.backends.s3.S3Storage"
    assert configured["private"] == "private"
    assert configured["media"] == f"https://{CDN}/media/"
    assert configured["serve"] is False
    assert f"https://{CDN}" in configured["img"], "the CSP lets pages show images from the CDN"
