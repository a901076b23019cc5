"""Settings come from the environment with safe defaults (each case in a fresh interpreter)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PROBE = """
import json
from django.conf import settings as s
import django
django.setup()
print(json.dumps({
    "DEBUG": s.DEBUG, "SECRET_KEY": s.SECRET_KEY, "ALLOWED_HOSTS": s.ALLOWED_HOSTS,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE, "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "SECURE_HSTS_SECONDS": s.SECURE_HSTS_SECONDS, "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "SECURE_PROXY_SSL_HEADER": s.SECURE_PROXY_SSL_HEADER, "SESSION_COOKIE_AGE": s.SESSION_COOKIE_AGE,
    "SESSION_COOKIE_HTTPONLY": s.SESSION_COOKIE_HTTPONLY,
    "ENGINE": s.DATABASES["default"]["ENGINE"], "OPTIONS": s.DATABASES["default"].get("OPTIONS", {}),
    "CONN_HEALTH_CHECKS": s.DATABASES["default"].get("CONN_HEALTH_CHECKS"),
    "BROKER": s.CELERY_BROKER_URL, "BROKER_OPTIONS": s.CELERY_BROKER_TRANSPORT_OPTIONS,
    "TASK_ALWAYS_EAGER": getattr(s, "CELERY_TASK_ALWAYS_EAGER", False),
}))
"""
CLEARED = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "TRAMONTANE_HTTPS",
    "SECURE_HSTS_SECONDS",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_AGE",
)


def _settings(tmp_path: Path, **env: str) -> dict:
    child = {k: v for k, v in os.environ.items() if k not in CLEARED}
    child.update(
        {
            "TRAMONTANE_DATA_DIR": str(tmp_path / "data"),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'platform'}",
            **env,
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=child, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_defaults_are_safe_and_need_no_server(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    assert s["DEBUG"] is False
    assert s["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]"]
    assert s["SESSION_COOKIE_HTTPONLY"] is True
    assert s["SESSION_COOKIE_AGE"] == 8 * 3600
    # Quick start: SQLite in the data folder (WAL, shared by web and worker) and a folder broker, not eager mode.
    assert s["ENGINE"] == "django.db.backends.sqlite3"
    assert "journal_mode=WAL" in s["OPTIONS"]["init_command"]
    assert s["BROKER"] == "filesystem://"
    assert s["TASK_ALWAYS_EAGER"] is False
    queue = Path(s["BROKER_OPTIONS"]["data_folder_in"])
    assert queue.is_dir() and queue.is_relative_to(tmp_path / "data")


def test_secret_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = _settings(tmp_path)["SECRET_KEY"]
    second = _settings(tmp_path)["SECRET_KEY"]
    assert first == second and len(first) >= 50
    key_file = tmp_path / "data" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert _settings(tmp_path, SECRET_KEY="from-the-environment")["SECRET_KEY"] == "from-the-environment"


def test_plain_http_does_not_mark_cookies_secure(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    assert (s["SESSION_COOKIE_SECURE"], s["CSRF_COOKIE_SECURE"], s["SECURE_HSTS_SECONDS"]) == (False, False, 0)
    assert s["SECURE_SSL_REDIRECT"] is False and s["SECURE_PROXY_SSL_HEADER"] is None


def test_https_turns_on_secure_cookies_hsts_and_redirect(tmp_path: Path) -> None:
    s = _settings(tmp_path, TRAMONTANE_HTTPS="1", ALLOWED_HOSTS="tramontane.example.gouv.fr, other.example")
    assert s["SESSION_COOKIE_SECURE"] and s["CSRF_COOKIE_SECURE"] and s["SECURE_SSL_REDIRECT"]
    assert s["SECURE_HSTS_SECONDS"] == 31536000
    assert s["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert s["ALLOWED_HOSTS"] == ["tramontane.example.gouv.fr", "other.example"]


def test_postgres_and_redis_from_the_environment(tmp_path: Path) -> None:
    s = _settings(
        tmp_path, DATABASE_URL="postgres://u:p@db.internal:5432/tramontane", REDIS_URL="redis://cache.internal:6379/2"
    )
    assert s["ENGINE"] == "django.db.backends.postgresql"
    assert s["CONN_HEALTH_CHECKS"] is True
    assert s["BROKER"] == "redis://cache.internal:6379/2"  # the broker follows REDIS_URL unless set apart
    assert "visibility_timeout" in s["BROKER_OPTIONS"]
    assert not (tmp_path / "data" / "broker").exists()


def test_a_malformed_value_names_the_variable(tmp_path: Path) -> None:
    child = {k: v for k, v in os.environ.items() if k not in CLEARED}
    child.update(
        {
            "TRAMONTANE_DATA_DIR": str(tmp_path),
            "DEBUG": "maybe",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'platform'}",
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=child, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr
