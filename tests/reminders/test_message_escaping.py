"""What people typed reaches the robots as text and the mail server as one line (supervision/messages.py
and channels.py): a task title, a unit name or a note written in Markdown cannot add a link, a heading
or a coloured warning to a WeCom or DingTalk message, while ours (the heading, the quotes, the links)
still work; a milestone title with a newline is emailed with a one-line subject; an email that can
never be written fails once, with the reason, instead of being retried."""

import pytest
from django.utils import timezone

from supervision import channels, outbox
from supervision.messages import Message, as_markdown_text, render
from supervision.models import Channel, Delivery, DeliveryState, Notification, ReminderRule
from supervision.services import chase_task
from tasks import services
from tests.factories import days
from tests.reminders.e2e_support import MailSink
from tests.reminders.webhook_receiver import running_receiver

SITE = "https://ducha.hongtong.gov.cn"
HOSTILE = '**紧急** [点此核实](http://evil.example/) <font color="warning">假通知</font> `x` #标签 > 引用 _斜_ ~~删~~ \\ |表|'
OUR_LINES = ("### 【", "> ", "- [", "[查看详情](")


@pytest.fixture
def receiver(settings):
    with running_receiver() as receiver:
        settings.WEBHOOK_TEST_HOSTS = [receiver.host]
        yield receiver


@pytest.fixture
def mail(settings):
    """A real SMTP server on 127.0.0.1, and Django's SMTP backend pointed at it."""
    sink = MailSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = sink.host, sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield sink
    sink.stop()


@pytest.fixture
def site(settings):
    settings.SITE_URL = SITE


def notify(**about) -> Notification:
    """A notification for the scan's day, as the scan would write it."""
    key = ":".join(f"{name}{getattr(value, 'pk', value)}" for name, value in about.items())
    return Notification.objects.create(key=f"test:{key}", day=timezone.localdate(), **about)


def deliver(notification: Notification, channel: str, address: str) -> Delivery:
    delivery = Delivery.objects.create(
        notification=notification, channel=channel, address=address, next_attempt_at=timezone.now()
    )
    outbox.deliver(delivery.pk)
    return Delivery.objects.get(pk=delivery.pk)


def assert_only_our_markdown(markdown: str) -> None:
    for line in markdown.split("\n"):
        assert line == "" or line.startswith(OUR_LINES), line
    assert "](http://evil" not in markdown and "<font" not in markdown and "**" not in markdown
    assert "`" not in markdown and "~~" not in markdown


# ---- The robots ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", [Channel.WECOM, Channel.DINGTALK])
def test_a_task_title_and_unit_name_in_markdown_reach_the_robot_as_text(world, site, receiver, channel):
    unit = services.unit_create(
        by=None, name="[万安镇](http://evil.example/)", kind="township", parent=world.county
    )
    task = world.task(title=HOSTILE, lead_unit=unit, deadline=days(-3), start_date=days(-20))
    delivery = deliver(notify(rule=ReminderRule.OVERDUE, task=task, unit=unit), channel, receiver.url)
    assert delivery.state == DeliveryState.SENT
    (request,) = receiver.requests
    markdown = request["body"]["markdown"]["content" if channel == Channel.WECOM else "text"]
    assert_only_our_markdown(markdown)
    assert markdown.startswith(f"### 【逾期催办】{as_markdown_text(HOSTILE)} 已逾期 3 天\n")
    assert "＊＊紧急＊＊ ［点此核实］(http://evil.example/) ＜font" in markdown  # still readable
    assert "> 牵头单位:［万安镇］(http://evil.example/)" in markdown
    assert markdown.endswith(f"\n[查看详情]({SITE}/tasks/{task.pk}/)")


def test_a_multi_line_note_stays_one_quoted_line(world, site, receiver):
    task = world.task(deadline=days(-3), start_date=days(-20))
    note = "请于今日反馈\n# 假标题\n- [假链接](http://evil.example/)\n\n正文"
    chased = chase_task(task=task, by=world.office, note=note)
    deliver(chased, Channel.WECOM, receiver.url)
    markdown = receiver.requests[0]["body"]["markdown"]["content"]
    assert_only_our_markdown(markdown)
    assert "> 催办意见:请于今日反馈 ＃ 假标题 - ［假链接］(http://evil.example/) 正文" in markdown


def test_a_digest_lists_each_item_as_one_link_to_our_page():
    item = {
        "label": f"HD-AQ-001 {HOSTILE}",
        "detail": "万安镇](http://evil.example/),逾期 5 天",
        "url": f"{SITE}/tasks/1/",
    }
    markdown = Message(title="【督导组逾期日报】", lines=[], url=f"{SITE}/", items=[item]).markdown
    assert_only_our_markdown(markdown)
    assert (
        f"- [HD-AQ-001 {as_markdown_text(HOSTILE)}]({SITE}/tasks/1/) 万安镇］(http://evil.example/)"
        in markdown
    )


def test_the_dingtalk_title_is_one_line(receiver):
    message = Message(
        title="【节点临期】完成隐患台账\r\n第二行\t节点时限 2026-09-10", lines=[], url=SITE, items=[]
    )
    channels.send(Delivery(channel=Channel.DINGTALK, address=receiver.url), message)
    assert (
        receiver.requests[0]["body"]["markdown"]["title"]
        == "【节点临期】完成隐患台账 第二行 节点时限 2026-09-10"
    )


# ---- Email --------------------------------------------------------------------------------------------


def test_a_milestone_title_with_a_newline_is_emailed_with_a_one_line_subject(world, mail):
    task = world.task(deadline=days(10))
    milestone = services.milestone_add(
        task=task, by=world.office, title="完成隐患台账\r\nBcc: spy@example.com", due_date=days(1)
    )
    notification = notify(rule=ReminderRule.MILESTONE_DUE, task=task, milestone=milestone, unit=world.wanan)
    delivery = deliver(notification, Channel.EMAIL, "wanan@hongtong.gov.cn")
    assert (delivery.state, delivery.attempts, delivery.last_error) == (DeliveryState.SENT, 1, "")
    (email,) = mail.received()
    # Django folds a long encoded subject onto a continuation line; a reader unfolds it.
    assert (
        email["Subject"].strip()
        == f"【节点临期】完成隐患台账 Bcc: spy@example.com 节点时限 {days(1).isoformat()}"
    )
    assert email["Bcc"] is None and email["To"] == "wanan@hongtong.gov.cn"
    assert render(notification).title.startswith(
        "【节点临期】完成隐患台账\r\n"
    )  # the inbox keeps it as typed


def test_an_email_that_can_never_be_written_fails_at_once_with_the_reason(world, mail):
    task = world.task(deadline=days(-3), start_date=days(-20))
    notification = notify(rule=ReminderRule.OVERDUE, task=task, unit=world.wanan)
    delivery = deliver(notification, Channel.EMAIL, "wanan@hongtong.gov.cn\nBcc: spy@example.com")
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 1)
    assert delivery.last_error.startswith("cannot be written as an email: ValueError: Invalid address")
    assert mail.received() == []


def test_an_email_the_mail_server_is_down_for_is_still_retried(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    task = world.task(deadline=days(-3), start_date=days(-20))
    delivery = deliver(
        notify(rule=ReminderRule.OVERDUE, task=task, unit=world.wanan), Channel.EMAIL, "a@b.cn"
    )
    assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 1)
    assert delivery.next_attempt_at > timezone.now() and "ConnectionRefusedError" in delivery.last_error
