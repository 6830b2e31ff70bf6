"""Admin's "Import documents": upload, read the dry run, confirm."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from articles.importers.batches import MAX_FILE_BYTES
from articles.models import Article, Column, ImportBatch
from tests.factories import make_column, make_editor, make_user

pytestmark = pytest.mark.django_db

SEEDS = Path(settings.BASE_DIR) / "fixtures" / "seeds"
UPLOAD_URL = reverse("admin:articles_importbatch_add")


def seed_files(*names):
    return [SimpleUploadedFile(name, (SEEDS / name).read_bytes()) for name in names]


@pytest.fixture
def editor_client(client):
    client.force_login(make_editor())
    return client


def test_upload_shows_a_dry_run_and_writes_no_content(editor_client):
    response = editor_client.post(UPLOAD_URL, {"files": seed_files("000_e8d6d63f2d1343cd.txt"), "split": "auto", "publish": "on"})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == batch.get_absolute_url()
    page = editor_client.get(batch.get_absolute_url()).content.decode()
    assert "Sora，从入门到精通" in page
    assert "工具篇：打开兵器库，AI做视频工具集锦" in page
    assert "认知篇" in page
    assert not Column.objects.exists() and not Article.objects.exists()


def test_confirming_imports_and_links_to_the_site(editor_client):
    target = make_column(title="资料库")
    editor_client.post(
        UPLOAD_URL,
        {"files": seed_files("004_6da403e4822e7372.txt", "002_a1fcf3bf9474e0a8.txt"), "column": target.pk, "split": "auto", "publish": "on"},
    )
    batch = ImportBatch.objects.get()
    response = editor_client.post(batch.get_absolute_url())
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.IMPORTED
    assert target.articles.count() == 3
    page = editor_client.get(batch.get_absolute_url()).content.decode()
    for article in target.articles.all():
        assert article.get_absolute_url() in page


def test_a_second_confirmation_imports_nothing_more(editor_client):
    editor_client.post(UPLOAD_URL, {"files": seed_files("000_e8d6d63f2d1343cd.txt"), "split": "auto", "publish": "on"})
    batch = ImportBatch.objects.get()
    editor_client.post(batch.get_absolute_url())
    editor_client.post(batch.get_absolute_url())
    assert Article.objects.count() == 10


def test_a_bad_file_is_reported_and_the_good_ones_still_import(editor_client):
    files = [SimpleUploadedFile("empty.md", b""), *seed_files("000_e8d6d63f2d1343cd.txt")]
    editor_client.post(UPLOAD_URL, {"files": files, "split": "auto", "publish": "on"})
    batch = ImportBatch.objects.get()
    page = editor_client.get(batch.get_absolute_url()).content.decode()
    assert "empty.md" in page
    editor_client.post(batch.get_absolute_url())
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PARTLY_IMPORTED
    assert Article.objects.count() == 10


def test_an_oversized_upload_is_refused_and_the_options_are_kept(editor_client):
    target = make_column(title="资料库")
    huge = SimpleUploadedFile("huge.txt", b"a" * (MAX_FILE_BYTES + 1))
    response = editor_client.post(UPLOAD_URL, {"files": [huge], "column": target.pk, "split": "whole", "free_first": "2"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "huge.txt" in html
    assert response.context["form"]["split"].value() == "whole"
    assert str(response.context["form"]["free_first"].value()) == "2"
    assert not ImportBatch.objects.exists()


def test_readers_cannot_reach_the_import_page(client):
    client.force_login(make_user())
    assert client.get(UPLOAD_URL).status_code == 302
    assert not ImportBatch.objects.exists()


def test_import_history_lists_batches(editor_client):
    editor_client.post(UPLOAD_URL, {"files": seed_files("002_a1fcf3bf9474e0a8.txt"), "split": "auto", "publish": "on"})
    html = editor_client.get(reverse("admin:articles_importbatch_changelist")).content.decode()
    assert "002_a1fcf3bf9474e0a8.txt" in html
    assert UPLOAD_URL in html


def test_uploaded_documents_are_kept_where_no_address_reaches_them(editor_client, client, settings):
    """The uploaded documents hold whole paid articles: they are stored outside the public media,
    and no guess at their old public address serves them."""
    editor_client.post(UPLOAD_URL, {"files": seed_files("000_e8d6d63f2d1343cd.txt"), "split": "auto", "publish": "on"})
    stored = ImportBatch.objects.get().files.get()
    name = stored.file.name
    assert (Path(settings.PRIVATE_MEDIA_ROOT) / name).is_file()
    assert not (Path(settings.MEDIA_ROOT) / name).exists()
    with pytest.raises(ValueError):
        _ = stored.file.url
    # Even a copy left in the public media directory by an older version is never served.
    leftover = Path(settings.MEDIA_ROOT) / name
    leftover.parent.mkdir(parents=True, exist_ok=True)
    leftover.write_bytes(b"paid text")
    assert client.get(settings.MEDIA_URL + name).status_code == 404
    assert client.get(settings.MEDIA_URL + "import-batches/").status_code == 404
    (Path(settings.MEDIA_ROOT) / "probe.txt").write_bytes(b"public")
    assert client.get(settings.MEDIA_URL + "probe.txt").status_code == 200, "public media is still served"
