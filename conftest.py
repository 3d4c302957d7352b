"""Shared fixtures: the real services a test needs, and a small county to test in.

A test that needs PostgreSQL, Redis or Chromium asks for the fixture of that name.
Where the service is missing the test is skipped with the reason in the summary;
with REQUIRE_REAL_SERVICES=1 (CI sets it) it fails instead.
"""

import os
import shutil
import socket
from urllib.parse import urlsplit

import pytest

REQUIRE_REAL_SERVICES = os.environ.get("REQUIRE_REAL_SERVICES", "").strip().lower() in {
    "1",
    "true",
    "yes",
    "on",
}


def need(available: bool, reason: str) -> None:
    """Skip (or, under REQUIRE_REAL_SERVICES=1, fail) a test whose service is missing."""
    if available:
        return
    if REQUIRE_REAL_SERVICES:
        pytest.fail(f"{reason} (REQUIRE_REAL_SERVICES=1: a missing service is a failure)", pytrace=False)
    pytest.skip(reason)


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    redis = settings.REDIS_URL or "none (jobs run eagerly)"
    return [f"winteraction: database={engine} redis={redis} require_real_services={REQUIRE_REAL_SERVICES}"]


def pytest_sessionstart(session):
    if not REQUIRE_REAL_SERVICES:
        return
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.exit(
            "REQUIRE_REAL_SERVICES=1 needs DATABASE_URL=postgres://… (the suite would run on SQLite)",
            returncode=3,
        )
    if not os.environ.get("REDIS_URL"):
        pytest.exit("REQUIRE_REAL_SERVICES=1 needs REDIS_URL=redis://…", returncode=3)


# ---- Parallel runs (pytest-xdist) -------------------------------------------------------------------
# `make test` runs the suite in one process per core (-n auto). pytest-django gives each process its own
# test database (test_<name>_gw0, test_<name>_gw1 …); tmp_path, live_server's port and the ports of the
# end-to-end harness are already each process's own. What is left to share is the Redis broker.

XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def broker_key_prefix() -> str:
    """The prefix of every Redis key the Celery broker of this test process uses (and of the Celery
    worker a test starts): one per xdist worker, so a worker started by one process never takes a job
    published by another, and emptying one process's queue leaves the others' alone."""
    return f"wa-test-{XDIST_WORKER}:" if XDIST_WORKER else ""


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    from django.conf import settings

    prefix = broker_key_prefix()
    if not (prefix and settings.REDIS_URL):
        return
    from winteraction.celery import app

    options = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS, "global_keyprefix": prefix}
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = options
    app.conf.broker_transport_options = options


# ---- Slow tests -------------------------------------------------------------------------------------
# `make test-fast` runs -m "not slow". Whole modules mark themselves (pytestmark: schemathesis, the
# Celery worker, scale, load_demo), single tests that build a large campaign carry @pytest.mark.slow,
# and a test that drives Chromium is slow wherever its file lives.

SLOW_FIXTURES = {"browser"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Each test makes several users; the production hasher would spend most of the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_idle_sign_out(settings):
    # Tests travel days in time; the idle sign-out (SESSION_IDLE_MINUTES) is tested on its own.
    settings.SESSION_COOKIE_AGE = 60 * 60 * 24 * 365


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language (zh-hans): an English page in one test must not leave
    the next one's messages in English."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _own_cache(settings, request):
    # A fresh in-process cache per test: throttle counters never leak between tests, and a
    # test never flushes the Redis database that Celery uses as its broker.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": request.node.nodeid,
        }
    }


@pytest.fixture
def api():
    """A REST client: `api()` anonymous, `api(user)` signed in by session, `api(token=plain)` with
    `Authorization: Token …` (`keyword="Bearer"` for the other spelling)."""
    from rest_framework.test import APIClient

    def make(user=None, token=None, *, keyword="Token") -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_login(user)
        if token is not None:
            client.credentials(HTTP_AUTHORIZATION=f"{keyword} {token}")
        return client

    return make


# ---- Real services ---------------------------------------------------------------------------


@pytest.fixture
def postgres(db):
    """The test runs on PostgreSQL."""
    from django.db import connection

    need(connection.vendor == "postgresql", "needs PostgreSQL: set DATABASE_URL=postgres://…")
    return connection


@pytest.fixture(scope="session")
def redis_url():
    url = os.environ.get("REDIS_URL", "")
    need(bool(url), "needs Redis: set REDIS_URL=redis://…")
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            reachable = sock.recv(16).startswith(b"+PONG")
    except OSError:
        reachable = False
    need(reachable, f"needs Redis: nothing answers at {url}")
    return url


@pytest.fixture(scope="session")
def chromium_path():
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    need(bool(path), "needs a headless Chromium: apt-get install chromium (or set CHROMIUM=/path)")
    return path


# ---- A small county to test in ------------------------------------------------------------------


class World:
    """临汾市 with two counties; 洪洞县 runs a Winter Action with one special action."""


@pytest.fixture
def world(db):
    from supervision.services import group_create
    from tasks import services
    from tests.factories import days

    w = World()
    w.city = services.unit_create(by=None, name="临汾市", kind="city")
    w.county = services.unit_create(by=None, name="洪洞县", kind="county", parent=w.city)
    w.other_county = services.unit_create(by=None, name="尧都区", kind="county", parent=w.city)
    w.wanan = services.unit_create(
        by=None, name="万安镇", kind="township", parent=w.county, full_name="洪洞县万安镇"
    )
    w.shanmu = services.unit_create(by=None, name="山目乡", kind="township", parent=w.county)
    w.yingji = services.unit_create(by=None, name="县应急管理局", kind="department", parent=w.county)
    w.mine = services.unit_create(by=None, name="万安煤业", kind="enterprise", parent=w.wanan)
    w.other_town = services.unit_create(by=None, name="屯里镇", kind="township", parent=w.other_county)

    def person(username, unit, role, position=""):
        return services.person_create(
            by=None, username=username, unit=unit, role=role, position=position, password="winteraction"
        )

    w.office = person("office", w.county, "office", "督查室主任")
    w.leader = person("leader", w.county, "leader", "县长")
    w.wanan_official = person("wanan", w.wanan, "unit_official", "党政办主任")
    w.shanmu_official = person("shanmu", w.shanmu, "unit_official", "党政办主任")
    w.yingji_official = person("yingji", w.yingji, "unit_official", "局长")
    w.other_official = person("tunli", w.other_town, "unit_official", "镇长")
    w.other_office = person("yd_office", w.other_county, "office", "督查室主任")
    w.city_office = person("city_office", w.city, "office", "市督查室主任")
    w.inspector = person("inspector", w.other_county, "inspector", "督导组组员")
    w.campaign = services.campaign_create(
        owner=w.county, name="洪洞县冬季行动", code="HD", start_date=days(-30), end_date=days(60), by=w.office
    )
    w.safety = services.special_action_create(
        campaign=w.campaign, name="安全生产专项行动", code="AQ", by=w.office
    )
    w.group = group_create(
        name="市冬季行动第六督导检查组",
        issuing_unit=w.city,
        by=w.city_office,
        leader=w.inspector,
        scope_units=[w.county],
    )

    def task(**kwargs):
        values = {
            "campaign": w.campaign,
            "special_action": w.safety,
            "title": "煤矿“三堂一舍”隐患排查",
            "lead_unit": w.wanan,
            "start_date": days(-10),
            "deadline": days(10),
            "by": w.office,
        }
        values.update(kwargs)
        return services.task_create(**values)

    w.task = task
    return w


@pytest.fixture
def eager():
    """Jobs (the outbox's delivery jobs among them) run in this process when published, even where
    REDIS_URL is set."""
    from winteraction.celery import app

    names = ("task_always_eager", "task_eager_propagates")
    before = {name: app.conf.get(name) for name in names}
    app.conf.update({name: True for name in names})
    yield
    app.conf.update(before)
