"""Reading the environment into settings.

Every variable is read here, so the README's configuration table and the code
agree. A wrong value is a `ConfigError` naming the variable; `settings.py`
turns it into one line on stderr and a non-zero exit instead of a traceback.
"""

import datetime
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

from .parsing import whole_number

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


class ConfigError(Exception):
    """A configuration value that cannot be used; the message names the variable."""


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


def env_int(name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and {maximum}" if maximum is not None else ""
        raise ConfigError(f"{name}={value} is out of range (between {minimum}{upper})")
    return value


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def clock_time(name: str, default: str) -> datetime.time:
    """A time of day, HH:MM (24-hour, Asia/Shanghai)."""
    raw = env_str(name, default)
    try:
        return datetime.datetime.strptime(raw, "%H:%M").time()
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a time of day (use HH:MM, e.g. 08:30)") from None


# SQLite for a local run: WAL lets the web server read while the embedded worker writes, and a busy
# timeout makes one wait for the other instead of failing with "database is locked".
SQLITE_OPTIONS = {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}


def database(var_dir: Path) -> dict:
    url = env_str("DATABASE_URL")
    if not url:
        var_dir.mkdir(exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": var_dir / "winteraction.sqlite3",
            "OPTIONS": dict(SQLITE_OPTIONS),
        }
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in ("postgres", "postgresql", "pgsql", "sqlite"):
        raise ConfigError(
            f"DATABASE_URL ({scheme or 'no scheme'}://…) is not a database URL we use "
            "(postgres://user:password@host:5432/name or sqlite:////absolute/path.sqlite3)"
        )
    try:
        config = dj_database_url.parse(url, conn_max_age=env_int("CONN_MAX_AGE", 60), conn_health_checks=True)
    except ValueError:
        # The parser's message may quote the URL, password included: keep it out of logs.
        raise ConfigError("DATABASE_URL cannot be parsed (check the host, port and quoting)") from None
    engine = config.get("ENGINE", "")
    if engine.endswith("sqlite3"):
        config.pop("CONN_MAX_AGE", None)
        config["CONN_HEALTH_CHECKS"] = False
        config["OPTIONS"] = {**SQLITE_OPTIONS, **config.get("OPTIONS", {})}
    return config


def redis_url() -> str:
    url = env_str("REDIS_URL")
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss") or not parts.hostname:
            raise ConfigError("REDIS_URL is not a redis://host:port/db URL")
        try:
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            raise ConfigError("REDIS_URL has a port that is not a number") from None
    return url


def secret_key(var_dir: Path, *, debug: bool) -> str:
    key = env_str("SECRET_KEY")
    if key:
        if not debug and len(key) < 32:
            raise ConfigError("SECRET_KEY is too short for production (at least 32 characters)")
        return key
    if not debug:
        raise ConfigError(
            "SECRET_KEY is required when DEBUG is off (set SECRET_KEY, or DEBUG=1 for a local run)"
        )
    # A local run keeps one generated key, so sessions survive restarts.
    var_dir.mkdir(exist_ok=True)
    path = var_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


RATE_PERIODS = ("s", "sec", "second", "m", "min", "minute", "h", "hour", "d", "day")


def check_rate(name: str, value: str) -> None:
    """A DRF throttle rate such as 600/hour."""
    count, _, period = value.partition("/")
    if whole_number(count) is None or period not in RATE_PERIODS:
        raise ConfigError(f"{name}={value!r} is not a rate like 600/hour (second, minute, hour or day)")


def caches(redis: str, *, timeout_ms: int) -> dict:
    """The default cache (throttle counters): Redis when there is one, else each process's memory.

    Short socket timeouts: the throttles fail open on a cache error (winteraction/api/throttling.py),
    so a Redis that hangs must cost milliseconds, not redis-py's default of waiting forever."""
    if not redis:
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    seconds = timeout_ms / 1000
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis,
            "OPTIONS": {"socket_connect_timeout": seconds, "socket_timeout": seconds},
        }
    }


def cors_origins(name: str) -> list[str]:
    """Origins (scheme://host[:port], no path) allowed to call the API from a browser."""
    origins = env_list(name, "")
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query:
            raise ConfigError(f"{name}: {origin!r} is not an origin like https://dashboard.example.gov.cn")
    return origins


def session_renewal_seconds(idle_seconds: int) -> int:
    """How often an active session's expiry is pushed back: once a minute, but never less often than
    four times within the idle limit (renewing only once a minute with a one-minute limit would sign
    out someone who clicks every 40 seconds)."""
    return max(1, min(60, idle_seconds // 4))
