"""Start-up configuration: a wrong value stops start-up with one line naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def start(**env) -> subprocess.CompletedProcess:
    """Run `manage.py check` in a fresh process with the given environment on top of a clean one."""
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}
    }
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=base, capture_output=True, text=True, timeout=60
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


def test_language_and_time_zone_are_chinese_by_default(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True
    assert "en" in dict(settings.LANGUAGES)
