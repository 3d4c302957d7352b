"""What a reminder says (supervision/messages.py): in Chinese whatever the caller's language, what is
late and by how many days, who leads it, and a link to it on SITE_URL."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from supervision import messages, reminders
from supervision.messages import render
from supervision.models import Notification, ReminderRule
from supervision.services import chase_task, order_issue
from tasks import services
from tasks.models import Task, TaskStatus
from tests.reminders.conftest import clear_handoffs

SHANGHAI = ZoneInfo("Asia/Shanghai")
SITE = "https://ducha.hongtong.gov.cn"
RULE = ReminderRule


def d(month: int, day: int) -> datetime.date:
    return datetime.date(2026, month, day)


@pytest.fixture
def travel(time_machine):
    def to(day: datetime.date, at: datetime.time = datetime.time(8, 30)) -> datetime.date:
        time_machine.move_to(datetime.datetime.combine(day, at, tzinfo=SHANGHAI), tick=False)
        return day

    return to


@pytest.fixture
def w(db, request, travel, settings):
    settings.SITE_URL = SITE
    travel(d(8, 31), datetime.time(9))
    return request.getfixturevalue("world")


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def english_catalog(monkeypatch):
    """As if locale/en had every string of the module: an English caller would see English."""
    chinese = messages._

    def gettext(text):
        return f"EN[{text}]" if translation.get_language() == "en" else chinese(text)

    monkeypatch.setattr(messages, "_", gettext)


def scan(travel, day):
    travel(day)
    reminders.scan()


def the(**where) -> Notification:
    return Notification.objects.get(**where)


def test_an_overdue_reminder_says_what_is_late_by_how_many_days_who_leads_it_and_links_to_it(
    w, travel, english
):
    task = w.task(deadline=d(9, 7), title="煤矿“三堂一舍”隐患排查", responsible_leader=w.leader)
    scan(travel, d(9, 10))
    message = render(the(task=task, unit=w.wanan))
    url = f"{SITE}/tasks/{task.pk}/"
    assert message.title == "【逾期催办】煤矿“三堂一舍”隐患排查 已逾期 3 天"
    assert message.lines == [
        f"任务:{task.code} 煤矿“三堂一舍”隐患排查",
        "牵头单位:万安镇",
        "责任领导:洪洞县县长",
        "完成时限:2026-09-07,当前进度 0%",
    ]
    assert message.url == url
    assert message.text.startswith(message.title) and message.text.endswith(url)
    assert f"[查看详情]({url})" in message.markdown
    assert f'href="{url}"' in message.html
    # The leader's copy says the same.
    assert render(the(task=task, person=w.leader)).title == message.title


def test_every_form_of_the_message_stays_chinese_for_an_english_caller(w, travel, english_catalog):
    task = w.task(deadline=d(9, 7))
    scan(travel, d(9, 10))
    notification = the(task=task, unit=w.wanan)
    with translation.override("en"):
        assert messages._("牵头单位") == "EN[牵头单位]"  # the catalog is in place
        message = render(notification)
        forms = [message.title, message.text, message.markdown, message.html]
    assert not any("EN[" in form for form in forms), forms
    assert "查看详情" in message.markdown


def test_a_due_soon_reminder_counts_the_days_left(w, travel):
    task = w.task(deadline=d(9, 18))
    scan(travel, d(9, 15))
    assert render(the(task=task, unit=w.wanan)).title == f"【临期提醒】{task.title} 距完成时限还有 3 天"


def test_a_stale_report_reminder_counts_the_silent_days(w, travel):
    task = w.task(deadline=d(9, 30), start_date=d(9, 1))
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.IN_PROGRESS)
    scan(travel, d(9, 9))  # eight days since the start; the seventh was before the first scan
    assert render(the(rule=RULE.STALE_REPORT)).title == f"【请及时填报进度】{task.title} 已 8 天未填报进度"


def test_a_milestone_reminder_names_the_milestone_and_its_task(w, travel):
    task = w.task(deadline=d(9, 30))
    services.milestone_add(task=task, by=w.office, title="完成隐患台账", due_date=d(9, 10))
    scan(travel, d(9, 9))
    due = render(the(rule=RULE.MILESTONE_DUE))
    assert due.title == "【节点临期】完成隐患台账 节点时限 2026-09-10"
    scan(travel, d(9, 14))
    late = render(the(rule=RULE.MILESTONE_OVERDUE))
    assert late.title == "【节点逾期】完成隐患台账 已逾期 4 天"
    assert "牵头单位:万安镇" in late.lines and late.url == f"{SITE}/tasks/{task.pk}/"


def test_an_order_reminder_names_the_order_the_unit_and_links_to_the_order(w, travel):
    order = order_issue(
        group=w.group,
        by=w.inspector,
        unit=w.wanan,
        problem="万安煤业井下作业规程未落实",
        requirement="立即停产整顿",
        deadline=d(9, 7),
    )
    clear_handoffs()
    scan(travel, d(9, 9))
    for where in ({"unit": w.wanan}, {"group": w.group}):
        message = render(the(order=order, **where))
        assert message.title == f"【督办单逾期】{order.number} 已逾期 2 天"
        assert "承办单位:万安镇" in message.lines
        assert "督办事项:万安煤业井下作业规程未落实" in message.lines
        assert message.url == f"{SITE}/supervision/orders/{order.pk}/"


def test_the_digest_lists_each_item_with_its_unit_days_late_and_link(w, travel):
    first = w.task(deadline=d(9, 7), title="煤矿隐患排查")
    second = w.task(deadline=d(9, 4), title="燃气安全检查", lead_unit=w.shanmu)
    scan(travel, d(9, 10))
    message = render(the(rule=RULE.DIGEST))
    assert message.title == "【督导组逾期日报】市冬季行动第六督导检查组 2026-09-10:2 项逾期事项"
    assert [(item["label"], item["detail"], item["url"]) for item in message.items] == [
        (f"{first.code} 煤矿隐患排查", "万安镇,逾期 3 天", f"{SITE}/tasks/{first.pk}/"),
        (f"{second.code} 燃气安全检查", "山目乡,逾期 6 天", f"{SITE}/tasks/{second.pk}/"),
    ]
    assert f"- [{first.code} 煤矿隐患排查]({SITE}/tasks/{first.pk}/) 万安镇,逾期 3 天" in message.markdown


def test_a_digest_too_long_to_list_says_how_many_there_are_in_all(w, travel, monkeypatch):
    monkeypatch.setattr(messages, "DIGEST_LIMIT", 2)
    for n in range(3):
        w.task(deadline=d(9, 1 + n), title=f"隐患排查 {n}")
    scan(travel, d(9, 10))
    message = render(the(rule=RULE.DIGEST))
    assert message.title.endswith(":3 项逾期事项")
    assert [item["label"].split(" ", 1)[1] for item in message.items] == ["隐患排查 2", "隐患排查 1"]
    assert "以下列出最近升级的 2 项,全部事项请见驾驶舱。" in message.lines


def test_a_chase_carries_the_chasers_note(w, travel):
    task = w.task(deadline=d(9, 30))
    travel(d(9, 9), datetime.time(15))
    notification = chase_task(task=task, by=w.office, note="请本周内报送整改台账")
    message = render(notification)
    assert message.title == f"【催办】{task.title}"
    assert "催办意见:请本周内报送整改台账" in message.lines
