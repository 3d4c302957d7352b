"""Settings for the Celery worker that tests/reminders/test_e2e_worker.py starts as a subprocess.

The project's own settings, read from the environment exactly as in production (DATABASE_URL,
REDIS_URL, EMAIL_HOST/EMAIL_PORT, SITE_URL, OUTBOX_*, CELERY_VISIBILITY_TIMEOUT, ...), plus what only a
test may change, from variables prefixed WA_TEST_:

- WA_TEST_WEBHOOK_TEST_HOSTS: comma-separated host:port pairs the webhook check lets through (the
  test's HTTP receiver on 127.0.0.1). The production settings never read such a list from the
  environment, so a deployment cannot open its allowlist this way.
- WA_TEST_BEAT_SCHEDULE_FILENAME: the embedded beat's state file, so a test never shares
  var/celerybeat-schedule with a local `make run`.
- WA_TEST_BROKER_KEY_PREFIX: the prefix of the broker's Redis keys, the same as the test process's
  (conftest.broker_key_prefix: one per xdist worker, so parallel tests never take each other's jobs).
"""

import os

from winteraction import settings as _project
from winteraction.settings import *  # noqa: F403
from winteraction.settings import CELERY_BEAT_SCHEDULE

WEBHOOK_TEST_HOSTS = [
    host.strip() for host in os.environ.get("WA_TEST_WEBHOOK_TEST_HOSTS", "").split(",") if host.strip()
]

if os.environ.get("WA_TEST_BEAT_SCHEDULE_FILENAME"):
    CELERY_BEAT_SCHEDULE_FILENAME = os.environ["WA_TEST_BEAT_SCHEDULE_FILENAME"]

if os.environ.get("WA_TEST_BROKER_KEY_PREFIX"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **getattr(_project, "CELERY_BROKER_TRANSPORT_OPTIONS", {}),
        "global_keyprefix": os.environ["WA_TEST_BROKER_KEY_PREFIX"],
    }

# Only the sweeper runs on a schedule: the daily scan (at REMINDER_SEND_TIME), the card proposals and
# the ranking snapshots must not fire in the middle of a test that happens to run at that minute.
CELERY_BEAT_SCHEDULE = {"sweep-outbox": CELERY_BEAT_SCHEDULE["sweep-outbox"]}
