"""`manage.py check --deploy --fail-level WARNING` passes with the production environment the README
documents, and still warns about what an operator must not leave on."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The README's production block, minus the services this check does not connect to.
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k3y-" + "x7Qp2" * 12,
    "DJANGO_ALLOWED_HOSTS": "zhuanlan.example.com",
    "DJANGO_SITE_URL": "https://zhuanlan.example.com",
    "DJANGO_HTTP_PROTOCOL": "https",
    "DJANGO_TRUSTED_PROXY_COUNT": "1",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def deploy_check(**env):
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "EMAIL_URL"))}
    environment.update(PRODUCTION, **env)
    command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    result = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)
    return result.returncode, result.stdout + result.stderr


def test_the_documented_production_settings_pass_the_deploy_check():
    code, output = deploy_check()
    assert code == 0, output
    assert "no issues" in output


def test_the_readme_documents_those_settings():
    readme = (ROOT / "README.md").read_text()
    for name in PRODUCTION:
        assert f"{name}=" in readme, name


def test_the_sandbox_in_production_fails_the_deploy_check():
    code, output = deploy_check(DJANGO_PAYMENTS_SANDBOX="1")
    assert code != 0
    assert "members.W001" in output


def test_switching_https_off_in_production_fails_the_deploy_check():
    code, output = deploy_check(DJANGO_SECURE_SSL_REDIRECT="0", DJANGO_SECURE_HSTS_SECONDS="0")
    assert code != 0
    assert "security.W004" in output and "security.W008" in output


def test_the_embedded_cache_in_files_passes_the_deploy_check():
    # Every worker on the machine shares it, so rate limits count for the whole site.
    code, output = deploy_check(REDIS_URL="")
    assert code == 0, output


def test_a_per_process_cache_in_production_fails_the_deploy_check(settings):
    # Rate limits would count per gunicorn worker: each one grants a guesser the full allowance.
    from members.checks import rate_limits_are_shared

    settings.DEBUG = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert [warning.id for warning in rate_limits_are_shared(None)] == ["members.W002"]
