"""Start-up configuration: a wrong value stops start-up with one line naming the variable."""

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

ROOT = Path(__file__).resolve().parent.parent


def start(*args, **env) -> subprocess.CompletedProcess:
    """Run `manage.py check` in a fresh process with the given environment on top of a clean one."""
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}
    }
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DEBUG": "0"}, "SECRET_KEY"),
        ({"DEBUG": "0", "SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"DEBUG": "perhaps"}, "DEBUG"),
        ({"DEBUG": "1", "DATABASE_URL": "mysql://app:secret@db/winter"}, "DATABASE_URL"),
        ({"DEBUG": "1", "DATABASE_URL": "postgres://app:secret@db:notaport/winter"}, "DATABASE_URL"),
        ({"DEBUG": "1", "REDIS_URL": "http://cache:6379"}, "REDIS_URL"),
        ({"DEBUG": "1", "EMAIL_PORT": "smtp"}, "EMAIL_PORT"),
        ({"DEBUG": "1", "DUE_SOON_DAYS": "-3"}, "DUE_SOON_DAYS"),
        ({"DEBUG": "1", "API_RATE_TOKEN": "①/hour"}, "API_RATE_TOKEN"),
        ({"DEBUG": "1", "CORS_ALLOWED_ORIGINS": "screen.example.gov.cn"}, "CORS_ALLOWED_ORIGINS"),
        ({"DEBUG": "1", "CORS_ALLOWED_ORIGINS": "https://screen.example.gov.cn/api"}, "CORS_ALLOWED_ORIGINS"),
    ],
)
def test_a_wrong_setting_stops_start_up_with_one_line_naming_it(env, variable):
    result = start(**env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("WinterAction configuration error:")
    assert variable in lines[0]
    assert "Traceback" not in result.stderr


def test_the_error_line_never_shows_a_database_password():
    result = start(DEBUG="1", DATABASE_URL="mysql://app:hunter2secret@db/winter")
    assert "hunter2secret" not in result.stderr


def test_debug_off_with_a_secret_key_starts():
    result = start(DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="winter.example.gov.cn")
    assert result.returncode == 0, result.stderr


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "0Jq-w7Zr!t2Lx9Vb4Nc8Md3Kf6Gh1Ys5Pe0Ua7Ti2Ro4Wl9Sd3Xz8Cv6Bn1Mq5Hj",
    "ALLOWED_HOSTS": "winter.example.gov.cn",
    "SECURE_COOKIES": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SECURE_SSL_REDIRECT": "1",
    "TRUST_X_FORWARDED_PROTO": "1",
}


def test_the_documented_tls_settings_pass_the_deployment_checks():
    result = start("--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr


def test_without_the_tls_settings_the_deployment_checks_name_what_is_missing():
    plain = {name: value for name, value in PRODUCTION.items() if not name.startswith(("SECURE", "TRUST"))}
    result = start("--deploy", "--fail-level", "WARNING", **plain)
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr


def test_hsts_preload_without_a_year_and_subdomains_stops_start_up():
    result = start(**{**PRODUCTION, "SECURE_HSTS_SECONDS": "3600"})
    assert result.returncode != 0
    assert "SECURE_HSTS_PRELOAD" in result.stderr


def test_language_and_time_zone_are_chinese_by_default(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True
    assert "en" in dict(settings.LANGUAGES)


def test_an_idle_limit_of_one_minute_keeps_someone_clicking_every_forty_seconds_signed_in(
    client, world, settings
):
    settings.SESSION_COOKIE_AGE = 60  # SESSION_IDLE_MINUTES=1
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.post(reverse("login"), {"username": "wanan", "password": "winteraction"})
    for seconds in (40, 80, 120):
        with time_machine.travel(start + datetime.timedelta(seconds=seconds), tick=False):
            assert client.get(reverse("home")).status_code == 200, f"signed out after {seconds} s"
    with time_machine.travel(start + datetime.timedelta(seconds=120 + 61), tick=False):
        assert client.get(reverse("home")).status_code == 302  # idle for more than a minute
