"""Settings of the benchmark's server (in-process test client and gunicorn): the project's settings with
the minimal views' URLs added. Configuration comes from the environment as usual; run.py sets what the
benchmark needs (DEBUG off, a throttle rate the benchmark cannot reach) before Django starts."""

from winteraction.settings import *  # noqa: F403

ROOT_URLCONF = "tests.benchmarks.urls"
# The in-process test client's host.
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]  # noqa: F405
