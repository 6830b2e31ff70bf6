"""Configuration comes from the environment and refuses unsafe production setups."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from portal.env import email_settings, env_bool

ROOT = Path(__file__).resolve().parents[2]


def settings_in_subprocess(**env):
    """Import the settings module fresh with the given environment; return (exit code, output)."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "EMAIL_URL"))}
    environment.update(env)
    code = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='portal.settings'; django.setup(); from django.conf import settings; print(settings.DATABASES['default']['ENGINE'], settings.CACHES['default']['BACKEND'], settings.EMAIL_BACKEND)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)
    return result.returncode, result.stdout + result.stderr


def test_production_refuses_the_development_secret_key():
    code, output = settings_in_subprocess(DJANGO_DEBUG="0")
    assert code != 0
    assert "DJANGO_SECRET_KEY" in output


def test_production_starts_with_a_real_secret_key():
    code, output = settings_in_subprocess(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x" * 60)
    assert code == 0, output


def test_defaults_are_sqlite_a_cache_in_files_and_console_mail():
    code, output = settings_in_subprocess()
    assert code == 0, output
    assert "sqlite3" in output and "FileBasedCache" in output and "console" in output


def test_database_redis_and_mail_urls_select_the_production_backends():
    code, output = settings_in_subprocess(
        DATABASE_URL="postgres://u:p@db.example:5432/portal", REDIS_URL="redis://cache.example:6379/0", EMAIL_URL="smtp://u:p@mail.example:587?tls=1"
    )
    assert code == 0, output
    assert "postgresql" in output and "RedisCache" in output and "smtp" in output


def test_email_url_parsing():
    smtp = email_settings("smtp://user%40x:p%2Fw@mail.example:587?tls=1")
    assert smtp["EMAIL_HOST"] == "mail.example" and smtp["EMAIL_PORT"] == 587
    assert smtp["EMAIL_HOST_USER"] == "user@x" and smtp["EMAIL_HOST_PASSWORD"] == "p/w"
    assert smtp["EMAIL_USE_TLS"] and not smtp["EMAIL_USE_SSL"]
    assert email_settings("smtps://mail.example")["EMAIL_PORT"] == 465
    assert email_settings("file:///tmp/mail")["EMAIL_FILE_PATH"] == "/tmp/mail"
    with pytest.raises(ImproperlyConfigured):
        email_settings("pigeon://coop")


def test_blank_values_mean_the_default():
    code, output = settings_in_subprocess(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x" * 60, DATABASE_URL="", EMAIL_URL=" ", DJANGO_SECURE_COOKIES="")
    assert code == 0, output
    assert "sqlite3" in output and "console" in output


def test_boolean_words(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "yes")
    assert env_bool("SOME_FLAG", False)
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured):
        env_bool("SOME_FLAG", False)


@pytest.mark.django_db
def test_migrations_match_the_models():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)


def test_sqlite_database_file_runs_in_wal_mode(settings, tmp_path, django_db_blocker):
    from django.db.backends.sqlite3.base import DatabaseWrapper

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("WAL is an SQLite setting; this run uses another database")
    wrapper = DatabaseWrapper({**settings.DATABASES["default"], "NAME": str(tmp_path / "wal.sqlite3")})
    try:
        with django_db_blocker.unblock(), wrapper.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
    finally:
        wrapper.close()
