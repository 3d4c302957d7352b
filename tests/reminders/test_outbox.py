"""The outbox (supervision/outbox.py), in process: no broker (Celery runs eagerly), email through
Django's locmem backend, robots through a receiver on 127.0.0.1. A delivery is sent once, marked sent
only when the remote accepted, retried with bounded, jittered backoff, failed for good after
OUTBOX_MAX_ATTEMPTS or at once on a 4xx, put back by the office, and swept up when it was lost."""

import datetime
import smtplib
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone

from supervision import channels, jobs, outbox, reminders, services
from supervision.messages import render
from supervision.models import Channel, Delivery, DeliveryState, Notification, NotifyEndpoint, ReminderRule
from tasks.models import Person
from tests.reminders.webhook_receiver import running_receiver

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 9, 8, 8, 30, tzinfo=SHANGHAI)  # a Tuesday
PENDING, SENT, FAILED = DeliveryState.PENDING, DeliveryState.SENT, DeliveryState.FAILED


@pytest.fixture
def clock(time_machine):
    """Frozen at NOW; `clock(seconds)` moves it on."""
    time_machine.move_to(NOW, tick=False)

    def move(seconds: float) -> datetime.datetime:
        time_machine.shift(datetime.timedelta(seconds=seconds))
        return timezone.now()

    return move


@pytest.fixture
def receiver(settings):
    with running_receiver() as receiver:
        settings.WEBHOOK_TEST_HOSTS = [receiver.host]
        yield receiver


@pytest.fixture
def backoff_settings(settings):
    settings.OUTBOX_BACKOFF_SECONDS = 60
    settings.OUTBOX_BACKOFF_MAX_SECONDS = 1800
    settings.OUTBOX_MAX_ATTEMPTS = 6
    return settings


@pytest.fixture
def notification(db, clock, world):
    task = world.task(deadline=datetime.date(2026, 9, 7), start_date=datetime.date(2026, 9, 1))
    return Notification.objects.create(
        key=f"overdue:t{task.pk}:u{world.wanan.pk}:0",
        rule=ReminderRule.OVERDUE,
        day=NOW.date(),
        task=task,
        unit=world.wanan,
    )


@pytest.fixture
def make(notification):
    """A delivery row written directly, due now unless told otherwise."""

    def delivery(channel=Channel.EMAIL, address="wanan@hongtong.gov.cn", **values) -> Delivery:
        values.setdefault("next_attempt_at", timezone.now())
        return Delivery.objects.create(notification=notification, channel=channel, address=address, **values)

    return delivery


def fresh(delivery: Delivery) -> Delivery:
    return Delivery.objects.get(pk=delivery.pk)


# ---- Sending once, marking sent only when accepted ------------------------------------------------------------


def test_an_email_delivery_is_sent_and_marked_sent(make, mailoutbox, notification):
    delivery = make()
    assert outbox.deliver(delivery.pk) == SENT
    delivery = fresh(delivery)
    assert (delivery.state, delivery.attempts, delivery.sent_at, delivery.last_error) == (SENT, 1, NOW, "")
    (email,) = mailoutbox
    assert email.to == ["wanan@hongtong.gov.cn"]
    assert email.subject == render(notification).title


def test_a_delivery_is_marked_sent_only_after_the_remote_accepted(make, receiver, monkeypatch):
    delivery = make(Channel.WECOM, receiver.url)
    real_send = channels.send
    seen = []

    def send(row, message):
        stored = fresh(row)
        seen.append((stored.state, stored.sent_at))
        real_send(row, message)
        seen.append(len(receiver.requests))

    monkeypatch.setattr(channels, "send", send)
    assert outbox.deliver(delivery.pk) == SENT
    assert seen == [(PENDING, None), 1]

    refused = make(Channel.WECOM, receiver.url + "&again")
    receiver.reply(500)
    assert outbox.deliver(refused.pk) == PENDING
    assert (fresh(refused).state, fresh(refused).sent_at) == (PENDING, None)


def test_a_sent_delivery_is_not_sent_again(make, mailoutbox):
    delivery = make()
    outbox.deliver(delivery.pk)
    assert outbox.deliver(delivery.pk) is None
    assert outbox.deliver_batch([delivery.pk, delivery.pk]) == {
        "sent": 0,
        "failed": 0,
        "retry": [],
        "wait": 0.0,
    }
    assert len(mailoutbox) == 1


# ---- Failures, backoff, giving up --------------------------------------------------------------------------


def test_a_failure_records_the_error_counts_the_attempt_and_waits(make, receiver, backoff_settings):
    delivery = make(Channel.WECOM, receiver.url)
    receiver.reply(500)
    assert outbox.deliver(delivery.pk) == PENDING
    delivery = fresh(delivery)
    assert (delivery.attempts, delivery.last_error, delivery.sent_at) == (1, "TransientError: HTTP 500", None)
    wait = (delivery.next_attempt_at - NOW).total_seconds()
    assert 30 <= wait <= 60


def test_a_robots_errcode_is_a_failure(make, receiver):
    delivery = make(Channel.WECOM, receiver.url)
    receiver.reply(200, {"errcode": 45009, "errmsg": "api freq out of limit"})
    assert outbox.deliver(delivery.pk) == PENDING
    assert "errcode 45009" in fresh(delivery).last_error


def test_a_failed_email_is_retried(make, monkeypatch, mailoutbox):
    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("SMTP server refused")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    delivery = make()
    assert outbox.deliver(delivery.pk) == PENDING
    assert fresh(delivery).last_error == "ConnectionRefusedError: SMTP server refused"


@pytest.mark.parametrize(
    ("code", "state"), [(550, FAILED), (450, PENDING)], ids=["550-for-good", "450-later"]
)
def test_a_mailbox_the_server_refuses_for_good_fails_at_once(make, monkeypatch, code, state):
    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({"wanan@hongtong.gov.cn": (code, b"mailbox unavailable")})

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    delivery = make()
    assert outbox.deliver(delivery.pk) == state
    assert str(code) in fresh(delivery).last_error


def test_a_delivery_is_not_tried_again_before_its_time(make, receiver, clock):
    delivery = make(Channel.WECOM, receiver.url)
    receiver.reply(500)
    outbox.deliver(delivery.pk)
    assert outbox.deliver(delivery.pk) is None
    assert len(receiver.requests) == 1
    clock((fresh(delivery).next_attempt_at - timezone.now()).total_seconds())
    assert outbox.deliver(delivery.pk) == SENT
    assert len(receiver.requests) == 2


@pytest.mark.parametrize(("jitter", "factor"), [("most", 1.0), ("least", 0.5)])
def test_the_backoff_doubles_up_to_the_ceiling_with_jitter(backoff_settings, monkeypatch, jitter, factor):
    monkeypatch.setattr(outbox.random, "uniform", lambda low, high: high if jitter == "most" else low)
    waits = [outbox.backoff(attempts) for attempts in range(1, 10)]
    ceiling = [60, 120, 240, 480, 960, 1800, 1800, 1800, 1800]
    assert waits == [seconds * factor for seconds in ceiling]


def test_the_backoff_is_jittered_and_never_above_the_maximum(settings):
    settings.OUTBOX_BACKOFF_SECONDS = 60
    settings.OUTBOX_BACKOFF_MAX_SECONDS = 300
    waits = [outbox.backoff(8) for _ in range(200)]
    assert all(150 <= wait <= 300 for wait in waits)
    assert len(set(waits)) > 100


def test_after_the_last_attempt_the_delivery_is_failed(make, receiver, clock, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    delivery = make(Channel.WECOM, receiver.url)
    receiver.reply(503, always=True)
    states = []
    for _ in range(3):
        states.append(outbox.deliver(delivery.pk))
        clock(settings.OUTBOX_BACKOFF_MAX_SECONDS)
    assert states == [PENDING, PENDING, FAILED]
    delivery = fresh(delivery)
    assert (delivery.state, delivery.attempts, delivery.last_error) == (FAILED, 3, "TransientError: HTTP 503")
    assert outbox.deliver(delivery.pk) is None
    assert len(receiver.requests) == 3


@pytest.mark.parametrize("status", [400, 403, 404])
def test_a_4xx_answer_fails_the_delivery_at_once(make, receiver, status):
    delivery = make(Channel.WECOM, receiver.url)
    receiver.reply(status)
    assert outbox.deliver(delivery.pk) == FAILED
    delivery = fresh(delivery)
    assert (delivery.attempts, delivery.last_error) == (1, f"HTTP {status}")


def test_a_429_is_tried_again(make, receiver):
    delivery = make(Channel.WECOM, receiver.url)
    receiver.reply(429)
    assert outbox.deliver(delivery.pk) == PENDING


def test_an_address_refused_at_send_time_fails_at_once(make, receiver):
    delivery = make(Channel.WECOM, "https://10.1.1.1/cgi-bin/webhook/send?key=x")
    assert outbox.deliver(delivery.pk) == FAILED
    assert receiver.requests == []


def test_a_batch_reports_what_was_sent_failed_and_is_to_be_retried(
    make, receiver, mailoutbox, backoff_settings
):
    sent = make()
    refused = make(Channel.WECOM, receiver.url + "&refused")
    busy = make(Channel.WECOM, receiver.url + "&busy")
    receiver.reply(404)
    receiver.reply(500)
    outcome = outbox.deliver_batch([sent.pk, refused.pk, busy.pk])
    assert {key: outcome[key] for key in ("sent", "failed", "retry")} == {
        "sent": 1,
        "failed": 1,
        "retry": [busy.pk],
    }
    assert outcome["wait"] == pytest.approx((fresh(busy).next_attempt_at - NOW).total_seconds())


# ---- The office puts a failed delivery back ---------------------------------------------------------------


def test_retry_puts_a_failed_delivery_back_and_it_is_sent_after_commit(
    make, receiver, eager, django_capture_on_commit_callbacks
):
    delivery = make(Channel.WECOM, receiver.url)
    receiver.reply(404)
    outbox.deliver(delivery.pk)
    assert fresh(delivery).state == FAILED
    with django_capture_on_commit_callbacks(execute=True):
        outbox.retry(fresh(delivery))
        assert (fresh(delivery).state, fresh(delivery).attempts) == (PENDING, 0)
        assert len(receiver.requests) == 1  # nothing before commit
    delivery = fresh(delivery)
    assert (delivery.state, delivery.attempts, delivery.last_error) == (SENT, 1, "")
    assert len(receiver.requests) == 2


def test_retry_leaves_a_delivery_that_has_not_failed_alone(make, django_capture_on_commit_callbacks):
    delivery = make()
    with django_capture_on_commit_callbacks() as callbacks:
        assert outbox.retry(delivery).state == PENDING
    assert callbacks == []
    assert fresh(delivery).attempts == 0


# ---- Publishing and the sweeper --------------------------------------------------------------------------


@pytest.fixture
def published(monkeypatch):
    """The ids handed to the broker, batch by batch (nothing runs)."""
    batches = []
    monkeypatch.setattr(jobs.deliver_batch, "apply_async", lambda args, **options: batches.append(args[0]))
    return batches


def test_the_sweeper_publishes_only_pending_due_deliveries_never_or_too_long_ago_enqueued(
    make, published, settings, clock
):
    settings.OUTBOX_STALE_SECONDS = 600
    now = timezone.now()
    never = make(address="a@hongtong.gov.cn")
    lost = make(address="b@hongtong.gov.cn", enqueued_at=now - datetime.timedelta(seconds=601))
    make(address="c@hongtong.gov.cn", enqueued_at=now - datetime.timedelta(seconds=60))  # in the broker
    make(address="d@hongtong.gov.cn", next_attempt_at=now + datetime.timedelta(seconds=30))  # not yet
    make(address="e@hongtong.gov.cn", state=SENT, sent_at=now)
    make(address="f@hongtong.gov.cn", state=FAILED, attempts=6)
    assert outbox.sweep() == 2
    assert published == [sorted([never.pk, lost.pk])]
    assert fresh(never).enqueued_at == now and fresh(lost).enqueued_at == now
    # Now they are in the broker's hands: the next sweep leaves them.
    assert outbox.sweep() == 0


def test_the_sweeper_publishes_in_batches(make, published, settings):
    settings.OUTBOX_BATCH_SIZE = 2
    rows = [make(address=f"{n}@hongtong.gov.cn") for n in range(5)]
    assert outbox.sweep() == 5
    assert published == [[rows[0].pk, rows[1].pk], [rows[2].pk, rows[3].pk], [rows[4].pk]]


def test_with_the_broker_down_publishing_leaves_the_rows_for_the_sweeper(make, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionRefusedError("redis://127.0.0.1:6379 refused")

    monkeypatch.setattr(jobs.deliver_batch, "apply_async", down)
    delivery = make()
    assert outbox.publish([delivery.pk]) == 0
    assert fresh(delivery).enqueued_at is None


# ---- From the scan to the mailbox --------------------------------------------------------------------------


@pytest.fixture
def addressed(db, clock, world):
    """万安镇 has a mailbox; the county's leader has an email address."""
    NotifyEndpoint.objects.create(unit=world.wanan, channel=Channel.EMAIL, address="wanan@hongtong.gov.cn")
    Person.objects.filter(pk=world.leader.pk).update(email="leader@hongtong.gov.cn")
    world.task(
        deadline=datetime.date(2026, 9, 4), responsible_leader=world.leader, title="取暖季燃气安全检查"
    )
    return world


def test_the_scans_deliveries_are_sent_after_commit(
    addressed, eager, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reminders.scan()
        assert Delivery.objects.filter(state=PENDING).count() == 2
        assert mailoutbox == []  # nothing leaves before the reminders are committed
    assert sorted(email.to[0] for email in mailoutbox) == ["leader@hongtong.gov.cn", "wanan@hongtong.gov.cn"]
    assert set(Delivery.objects.values_list("state", flat=True)) == {SENT}
    assert not Delivery.objects.filter(enqueued_at__isnull=True).exists()


def test_a_chase_is_delivered_after_commit(addressed, eager, mailoutbox, django_capture_on_commit_callbacks):
    task = addressed.task(deadline=datetime.date(2026, 9, 30), title="冬季供暖保障")
    with django_capture_on_commit_callbacks(execute=True):
        services.chase_task(task=task, by=addressed.office, note="请今天报送")
    (email,) = mailoutbox
    assert email.subject == "【催办】冬季供暖保障" and "催办意见:请今天报送" in email.body


def test_publishing_only_what_was_never_enqueued(make, published, django_capture_on_commit_callbacks):
    waiting = make(address="a@hongtong.gov.cn")
    make(address="b@hongtong.gov.cn", enqueued_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        outbox.publish_on_commit(Q(notification__day=NOW.date()))
    assert published == [[waiting.pk]]


def test_the_command_scans_and_sends_here_and_twice_sends_nothing_twice(addressed, mailoutbox, capsys):
    call_command("scan_reminders", "--date", "2026-09-08")
    # The unit's and the leader's overdue reminders (by email), the group's digest (in the app only).
    assert "3 new reminders; deliveries sent 2, failed 0, to retry 0" in capsys.readouterr().out
    call_command("scan_reminders", "--date", "2026-09-08")
    assert "0 new reminders; deliveries sent 0, failed 0, to retry 0" in capsys.readouterr().out
    assert len(mailoutbox) == 2


def test_the_command_on_a_day_off_sends_nothing(addressed, mailoutbox, capsys):
    call_command("scan_reminders", "--date", "2026-10-01")
    assert capsys.readouterr().out.strip() == "2026-10-01: not a working day, nothing sent"
    assert mailoutbox == [] and not Delivery.objects.exists()


def test_the_scan_job_runs_the_days_scan(addressed, eager, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = jobs.scan_reminders.apply(kwargs={"day": "2026-09-08"}).get()
    assert result == {"day": "2026-09-08", "working_day": True, "notifications": 3}
    assert len(mailoutbox) == 2
