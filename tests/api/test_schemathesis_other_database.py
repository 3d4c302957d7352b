"""Schemathesis over every operation on the database the suite does not run on.

tests/api/test_schemathesis.py runs in-process, on the suite's database. The API must answer no 5xx
and match its schema on SQLite (the embedded default of `make run`) and on PostgreSQL alike, so this
test runs that module again in a subprocess on the other one:

- the suite on PostgreSQL (CI: REQUIRE_REAL_SERVICES=1): the subprocess runs without DATABASE_URL,
  on SQLite (and without REQUIRE_REAL_SERVICES, which would refuse SQLite);
- the suite on SQLite: the subprocess needs a PostgreSQL, given as SCHEMATHESIS_POSTGRES_URL; without
  one the test is skipped (or fails under REQUIRE_REAL_SERVICES=1, see conftest.need).

Its examples per operation are SCHEMATHESIS_OTHER_MAX_EXAMPLES (default 5, a minute or two on two
cores), the seed the same as the in-process run's.
"""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from conftest import need

pytestmark = pytest.mark.slow

MODULE = "tests/api/test_schemathesis.py"
# The xdist worker's id would give the subprocess's test database and broker keys another process's name.
INHERITED_NOT = (
    "PYTEST_XDIST_WORKER",
    "PYTEST_XDIST_WORKER_COUNT",
    "PYTEST_XDIST_TESTRUNUID",
    "PYTEST_ADDOPTS",
)


def other_database_environment() -> tuple[str, dict]:
    env = {name: value for name, value in os.environ.items() if name not in INHERITED_NOT}
    env["SCHEMATHESIS_MAX_EXAMPLES"] = os.environ.get("SCHEMATHESIS_OTHER_MAX_EXAMPLES", "5")
    env.setdefault("DEBUG", "1")
    if connection.vendor == "postgresql":
        env.pop("DATABASE_URL", None)
        env.pop("REQUIRE_REAL_SERVICES", None)
        return "sqlite", env
    url = os.environ.get("SCHEMATHESIS_POSTGRES_URL", "")
    need(
        url.startswith(("postgres://", "postgresql://")),
        "needs SCHEMATHESIS_POSTGRES_URL=postgres://… (the suite runs on SQLite)",
    )
    env["DATABASE_URL"] = url
    return "postgresql", env


def test_schemathesis_finds_nothing_on_the_other_database():
    vendor, env = other_database_environment()

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-n0", "-p", "no:cacheprovider", "-rf", MODULE],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )

    assert f"database={vendor}" in result.stdout, result.stdout[-3000:]
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
