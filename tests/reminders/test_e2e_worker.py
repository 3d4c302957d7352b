"""Reminders end to end, with the real parts: PostgreSQL, Redis, a Celery worker subprocess, a real SMTP
server and a real HTTP receiver standing in for the WeCom and DingTalk robots.

The worker (tests/reminders/e2e_support.py `Worker`) runs with DJANGO_SETTINGS_MODULE=
tests.reminders.worker_settings against the test database pytest-django created, so rows are committed
(`transactional_db`). Backoffs, the sweep interval, the stale threshold and the visibility timeout are
shrunk to seconds through the environment. Outcomes are polled for with a bounded wait, never slept for.

Skipped with the reason when REDIS_URL is unset or the database is SQLite (a worker subprocess cannot
share pytest-django's in-memory SQLite database); with REQUIRE_REAL_SERVICES=1 that is a failure.
"""

import base64
import contextlib
import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from conftest import broker_key_prefix, need
from supervision import jobs, messages, reminders, workdays
from supervision.models import (
    Channel,
    Delivery,
    DeliveryState,
    InboxItem,
    Notification,
    NotifyEndpoint,
    ReminderRule,
)
from tasks import services
from tests.factories import days

from .e2e_support import BASE_DIR, MailSink, PrivateRedis, WebhookReceiver, Worker, database_url, wait_for

SITE_URL = "https://dc.example.gov.cn"
WECOM = "/cgi-bin/webhook/send"
DINGTALK = "/robot/send"
DINGTALK_SECRET = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"

# What the worker gets besides the database, the broker, the SMTP server and the receiver: every wait
# of the outbox shrunk from minutes to seconds (OUTBOX_BACKOFF_MAX_SECONDS stays below the visibility
# timeout, as the settings insist).
WORKER_ENV = {
    "OUTBOX_BACKOFF_SECONDS": "1",
    "OUTBOX_BACKOFF_MAX_SECONDS": "4",
    "OUTBOX_SWEEP_SECONDS": "1",
    "OUTBOX_STALE_SECONDS": "3",
    "OUTBOX_MAX_ATTEMPTS": "4",
    "CELERY_VISIBILITY_TIMEOUT": "10",
    "WEBHOOK_TIMEOUT_SECONDS": "5",
    "EMAIL_TIMEOUT": "5",
}

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]


# ---- The harness ------------------------------------------------------------------------------------


def _purge(broker_url: str) -> None:
    """Empty the default queue and forget unacknowledged messages left by another run (a killed worker's
    message would otherwise come back in the middle of this test). Only this test process's keys: under
    xdist each process's broker keys carry its own prefix."""
    import redis

    prefix = broker_key_prefix()
    client = redis.Redis.from_url(broker_url, socket_timeout=5)
    try:
        keys = [
            key
            for key in client.scan_iter(f"{prefix}celery*")
            if not key.startswith(f"{prefix}celery-task-meta".encode())
        ]
        client.delete(*keys, *(f"{prefix}{name}" for name in ("unacked", "unacked_index", "unacked_mutex")))
    finally:
        client.close()


@contextlib.contextmanager
def publishing_to(broker_url: str):
    """This process publishes to another broker for a while (the test's private Redis): its connection
    and producer pools are set aside, and put back afterwards."""
    from winteraction.celery import app

    amqp = app.amqp
    saved = (app.conf.broker_url, app._pool, amqp._producer_pool)
    app._pool = amqp._producer_pool = None
    app.conf["broker_url"] = broker_url
    try:
        yield
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        app.conf["broker_url"], app._pool, amqp._producer_pool = saved


class Harness:
    def __init__(self, *, broker_url, mail, receiver, tmp_path):
        self.broker_url = broker_url
        self.mail = mail
        self.receiver = receiver
        self.tmp_path = tmp_path
        self.workers: list[Worker] = []

    def start_worker(self, *, broker_url: str | None = None, beat: bool = False, **env) -> Worker:
        environment = {
            **os.environ,
            **WORKER_ENV,
            "DJANGO_SETTINGS_MODULE": "tests.reminders.worker_settings",
            "PYTHONPATH": str(BASE_DIR),
            "DEBUG": "1",
            "DATABASE_URL": database_url(connection.settings_dict),
            "CONN_MAX_AGE": "0",
            "REDIS_URL": broker_url or self.broker_url,
            "EMAIL_HOST": self.mail.host,
            "EMAIL_PORT": str(self.mail.port),
            "SITE_URL": SITE_URL,
            "WA_TEST_WEBHOOK_TEST_HOSTS": self.receiver.host,
            "WA_TEST_BEAT_SCHEDULE_FILENAME": str(self.tmp_path / "celerybeat-schedule"),
            "WA_TEST_BROKER_KEY_PREFIX": broker_key_prefix(),
            **{name: str(value) for name, value in env.items()},
        }
        environment.pop("CELERY_EMBEDDED", None)
        worker = Worker(environment, self.tmp_path / f"worker-{len(self.workers) + 1}.log", beat=beat)
        self.workers.append(worker)
        return worker.start()

    def logs(self) -> str:
        return "\n".join(f"--- {w.log_path.name}\n{w.log()[-3000:]}" for w in self.workers)

    def wait_for(self, predicate, *, timeout: float = 30.0, describe=None):
        """wait_for, failing with the workers' logs too."""

        def everything():
            return f"{describe() if describe else ''}\n{self.logs()}"

        return wait_for(predicate, timeout=timeout, describe=everything)

    def wait_for_job(self, worker: Worker, job_id: str, timeout: float = 30.0) -> None:
        def done():
            """the worker finished the job"""
            return worker.job_done(job_id)

        self.wait_for(done, timeout=timeout)

    def stop(self):
        # Every outcome has been asserted by now: a SIGKILL loses nothing a test looks at, and spares
        # the seconds a warm shutdown takes.
        for worker in self.workers:
            worker.kill()


@pytest.fixture
def e2e(request, redis_url, transactional_db, settings, tmp_path):
    need(
        connection.vendor == "postgresql",
        "needs PostgreSQL: the worker subprocess must share the test database, and pytest-django's "
        "SQLite test database lives in memory; set DATABASE_URL=postgres://…",
    )
    mail = MailSink().start()
    request.addfinalizer(mail.stop)
    receiver = WebhookReceiver().start()
    request.addfinalizer(receiver.stop)
    # The test's own process checks addresses and renders messages as the worker does.
    settings.WEBHOOK_TEST_HOSTS = [receiver.host]
    settings.SITE_URL = SITE_URL
    _purge(redis_url)
    harness = Harness(broker_url=redis_url, mail=mail, receiver=receiver, tmp_path=tmp_path)
    yield harness
    # Workers first: the database is flushed after this fixture, and a worker must not hold it.
    harness.stop()
    _purge(redis_url)


@pytest.fixture
def today(db):
    """Today, made a working day whatever the calendar says (a test may run on a Sunday)."""
    day = timezone.localdate()
    workdays.set_day(date=day, working=True, name="e2e")
    return day


def overdue_task(world, *, title="煤矿“三堂一舍”隐患排查", late=2):
    return world.task(title=title, start_date=days(-20), deadline=days(-late))


def give_endpoints(unit, receiver, *, email=True, wecom=True, dingtalk=True) -> dict:
    made = {}
    if email:
        made["email"] = NotifyEndpoint.objects.create(
            unit=unit, channel=Channel.EMAIL, address="dzb@wanan.example.gov.cn"
        )
    if wecom:
        made["wecom"] = NotifyEndpoint.objects.create(
            unit=unit, channel=Channel.WECOM, address=receiver.url(f"{WECOM}?key=wecom-robot-key")
        )
    if dingtalk:
        made["dingtalk"] = NotifyEndpoint.objects.create(
            unit=unit,
            channel=Channel.DINGTALK,
            address=receiver.url(f"{DINGTALK}?access_token=dingtalk-token"),
            secret=DINGTALK_SECRET,
        )
    return made


def states() -> str:
    """The deliveries by state, for a failure message."""
    return str(Counter(Delivery.objects.values_list("state", flat=True)))


def all_sent(expected: int):
    def check():
        """every delivery is sent"""
        return (
            Delivery.objects.filter(state=DeliveryState.SENT).count() == expected == Delivery.objects.count()
        )

    return check


def dingtalk_sign(secret: str, timestamp: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


# ---- (a) one overdue task: one email, one WeCom call, one DingTalk call ------------------------------


def test_an_overdue_task_reaches_its_lead_unit_once_by_email_wecom_and_dingtalk(e2e, world, today):
    task = overdue_task(world, late=2)
    give_endpoints(world.wanan, e2e.receiver)
    worker = e2e.start_worker()

    job = jobs.scan_reminders.apply_async(args=[today.isoformat()])
    e2e.wait_for_job(worker, job.id)
    e2e.wait_for(all_sent(3), describe=states)

    notification = Notification.objects.get(rule=ReminderRule.OVERDUE, task=task, unit=world.wanan)
    message = messages.render(notification)
    link = f"{SITE_URL}{reverse('task-detail', args=[task.pk])}"

    (mail,) = e2e.mail.received()
    assert mail["To"] == "dzb@wanan.example.gov.cn"
    # Django folds a long encoded subject onto a continuation line; a reader unfolds it.
    assert mail["Subject"].strip() == f"【逾期催办】{task.title} 已逾期 2 天"
    text = mail.get_body(("plain",)).get_content()
    for expected in (task.title, "已逾期 2 天", "牵头单位:万安镇", link):
        assert expected in text, f"{expected!r} is not in the email:\n{text}"
    assert link in mail.get_body(("html",)).get_content()

    (wecom,) = e2e.receiver.received(WECOM)
    assert wecom.query == {"key": "wecom-robot-key"}
    assert wecom.body == {"msgtype": "markdown", "markdown": {"content": message.markdown}}
    markdown = wecom.body["markdown"]["content"]
    assert markdown.startswith(f"### 【逾期催办】{task.title} 已逾期 2 天")
    assert "> 牵头单位:万安镇" in markdown
    assert markdown.endswith(f"[查看详情]({link})")

    (dingtalk,) = e2e.receiver.received(DINGTALK)
    assert dingtalk.body == {
        "msgtype": "markdown",
        "markdown": {"title": message.title, "text": message.markdown},
    }
    assert dingtalk.query["access_token"] == "dingtalk-token"
    timestamp = dingtalk.query["timestamp"]
    assert abs(int(timestamp) / 1000 - dingtalk.at) < 60  # DingTalk refuses a timestamp an hour off
    assert dingtalk.query["sign"] == dingtalk_sign(DINGTALK_SECRET, timestamp)

    assert len(e2e.receiver.received()) == 2


# ---- (b) scans twice, and two at once: nothing twice --------------------------------------------------


def test_scanning_twice_and_two_scans_at_once_send_nothing_twice(e2e, world, today):
    task = overdue_task(world, late=2)
    give_endpoints(world.wanan, e2e.receiver)
    worker = e2e.start_worker()

    # Twice through the broker, one after the other.
    first = jobs.scan_reminders.apply_async(args=[today.isoformat()])
    second = jobs.scan_reminders.apply_async(args=[today.isoformat()])
    # Twice at once, here, in two threads with their own connections, publishing after commit.
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def scan():
        try:
            barrier.wait(timeout=10)
            reminders.scan(today)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    e2e.wait_for_job(worker, first.id)
    e2e.wait_for_job(worker, second.id)
    e2e.wait_for(all_sent(3), describe=states)

    assert Notification.objects.filter(task=task).count() == 1
    assert Delivery.objects.count() == 3
    assert InboxItem.objects.filter(person=world.wanan_official).count() == 1
    assert len(e2e.mail.received()) == 1
    assert len(e2e.receiver.received(WECOM)) == 1
    assert len(e2e.receiver.received(DINGTALK)) == 1


# ---- (c) a worker killed mid-batch ---------------------------------------------------------------------


def test_a_worker_killed_mid_batch_leaves_nothing_unsent_and_sends_at_most_one_twice(e2e, world, today):
    titles = [f"隐患排查任务{n:02d}" for n in range(1, 31)]
    for title in titles:
        overdue_task(world, title=title, late=2)
    give_endpoints(world.wanan, e2e.receiver, email=False, dingtalk=False)
    e2e.receiver.delay = 0.4  # a slow robot: the batch of 30 takes ~12 s
    first = e2e.start_worker()

    reminders.scan(today)  # one batch of 30 deliveries, published after commit
    assert Delivery.objects.count() == 30

    def some_arrived():
        """the receiver has seen a few of the batch"""
        return len(e2e.receiver.received()) >= 5

    e2e.wait_for(some_arrived)
    first.kill()
    assert Delivery.objects.filter(state=DeliveryState.PENDING).exists(), "the kill did not land mid-batch"

    e2e.receiver.delay = 0
    e2e.start_worker(beat=True)  # the sweeper re-publishes what the dead worker held
    e2e.wait_for(all_sent(30), timeout=45, describe=states)

    assert Notification.objects.count() == 30
    receipts = e2e.receiver.received(WECOM)
    per_title = {title: 0 for title in titles}
    for receipt in receipts:
        (title,) = (t for t in titles if t in receipt.body["markdown"]["content"])
        per_title[title] += 1
    assert all(count >= 1 for count in per_title.values())
    # The documented window: the one delivery whose answer came back as the worker died is sent again.
    assert len(receipts) <= 30 + 1, {title: n for title, n in per_title.items() if n > 1}


# ---- (d) Redis down: saving stays fast, the outbox waits ---------------------------------------------


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of the test's own (never the machine's), stopped at the end whatever happens."""
    redis = PrivateRedis(tmp_path)
    need(bool(redis.binary), "needs the redis-server binary (apt-get install redis-server)")
    yield redis
    redis.stop()


def test_with_redis_down_reports_and_the_scan_stay_fast_and_deliveries_go_out_once_it_is_back(
    private_redis, e2e, world, today, settings
):
    redis = private_redis.start()
    task = overdue_task(world, late=2)
    give_endpoints(world.wanan, e2e.receiver)
    redis.stop()
    assert not redis.ping()
    limit = settings.BROKER_PUBLISH_TIMEOUT_SECONDS + 2

    with publishing_to(redis.url):
        started = time.monotonic()
        services.progress_report(task=task, by=world.wanan_official, percent=40, done="完成宿舍消防通道排查")
        report_took = time.monotonic() - started
        started = time.monotonic()
        result = reminders.scan(today)
        scan_took = time.monotonic() - started

    # Publishing must give up within BROKER_PUBLISH_TIMEOUT_SECONDS: kombu otherwise keeps retrying
    # the connection for broker_connection_timeout (4 s) before it reports the broker down.
    assert report_took < limit, f"progress_report took {report_took:.1f} s with the broker down"
    assert scan_took < limit, f"the scan took {scan_took:.1f} s with the broker down (limit {limit} s)"
    assert result["notifications"] >= 1
    assert Delivery.objects.count() == 3
    assert not Delivery.objects.exclude(state=DeliveryState.PENDING).exists()
    assert not Delivery.objects.filter(enqueued_at__isnull=False).exists()

    redis.start()  # the same port: the broker is back, empty
    e2e.start_worker(broker_url=redis.url, beat=True)
    e2e.wait_for(all_sent(3), describe=states)
    assert len(e2e.mail.received()) == 1
    assert len(e2e.receiver.received(WECOM)) == 1
    assert len(e2e.receiver.received(DINGTALK)) == 1


# ---- (e) a robot answering 500: retried with backoff, then failed ------------------------------------


def test_a_robot_answering_500_is_retried_with_growing_backoff_then_marked_failed(e2e, world, today):
    overdue_task(world, late=2)
    give_endpoints(world.wanan, e2e.receiver, email=False, dingtalk=False)
    e2e.receiver.status = 500
    e2e.start_worker()

    reminders.scan(today)
    delivery = Delivery.objects.get()
    seen: dict[int, tuple] = {}

    def failed():
        """the delivery is marked failed"""
        row = Delivery.objects.get(pk=delivery.pk)
        if row.state == DeliveryState.PENDING and row.attempts:
            seen.setdefault(row.attempts, (row.next_attempt_at, row.updated_at))
        return row.state == DeliveryState.FAILED and row

    row = e2e.wait_for(failed, timeout=40, describe=lambda: f"seen {seen}")

    assert row.attempts == 4  # OUTBOX_MAX_ATTEMPTS
    assert row.last_error == "TransientError: HTTP 500"
    assert row.sent_at is None
    assert len(e2e.receiver.received(WECOM)) == 4
    # Each failure before the last put the next attempt further off, by a growing backoff.
    assert sorted(seen) == [1, 2, 3], seen
    next_attempts = [seen[n][0] for n in (1, 2, 3)]
    waits = [(seen[n][0] - seen[n][1]).total_seconds() for n in (1, 2, 3)]
    assert next_attempts == sorted(next_attempts) and len(set(next_attempts)) == 3
    assert waits == sorted(waits), waits
    # OUTBOX_BACKOFF_SECONDS=1 doubling, half to all of it: 0.5–1 s, 1–2 s, 2–4 s (less a few µs).
    assert 0.49 <= waits[0] <= 1.0 and 0.99 <= waits[1] <= 2.0 and 1.99 <= waits[2] <= 4.0, waits


# ---- make run: the embedded worker's broker --------------------------------------------------------------


def _celery_settings(**env) -> dict:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "winteraction.settings", "DEBUG": "1", **env}
    for name in [name for name, value in env.items() if value is None]:
        environment.pop(name)
    code = (
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'broker': s.CELERY_BROKER_URL, 'eager': getattr(s, 'CELERY_TASK_ALWAYS_EAGER', False),"
        "'options': s.CELERY_BROKER_TRANSPORT_OPTIONS if hasattr(s, 'CELERY_BROKER_TRANSPORT_OPTIONS') else {}}))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code],
        env=environment,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(output.stdout)


def test_make_run_without_redis_gives_the_worker_a_filesystem_broker_under_var():
    chosen = _celery_settings(CELERY_EMBEDDED="1", REDIS_URL=None, DATABASE_URL=None)
    assert chosen["broker"] == "filesystem://"
    assert chosen["eager"] is False
    assert chosen["options"]["data_folder_in"] == str(BASE_DIR / "var" / "broker" / "queue")
    assert chosen["options"]["data_folder_out"] == chosen["options"]["data_folder_in"]


def test_make_run_with_redis_gives_the_worker_redis_even_when_embedded():
    chosen = _celery_settings(CELERY_EMBEDDED="1", REDIS_URL="redis://127.0.0.1:6379/5", DATABASE_URL=None)
    assert chosen["broker"] == "redis://127.0.0.1:6379/5"
    assert chosen["eager"] is False


def test_without_redis_or_the_embedded_worker_jobs_run_in_process():
    chosen = _celery_settings(CELERY_EMBEDDED=None, REDIS_URL=None, DATABASE_URL=None)
    assert chosen["broker"] == "memory://"
    assert chosen["eager"] is True
