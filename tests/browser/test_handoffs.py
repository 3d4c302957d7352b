"""Every handoff reaches its person (issue 13): after each step, the recipient signs in on a phone and
the bell in the top bar (outside the collapsed menu) shows the unread count, the inbox lists the item,
and each of the recipient unit's channels has one delivery row. The steps run through the services
the pages call (each page's own flow has its browser test in test_journeys.py and
test_supervision_journey.py); this test is about what the recipient sees."""

import os

import pytest

from supervision import messages, services
from supervision.models import Channel, Notification, NotifyEndpoint, ReminderRule
from supervision.selectors import TITLE_ROWS
from tasks import services as task_services
from tests.factories import days

from .test_journeys import no_horizontal_scroll, sign_in

pytestmark = pytest.mark.slow

WECOM = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wanan"


def titles(**audience) -> list[str]:
    rows = Notification.objects.filter(**audience).select_related(*TITLE_ROWS)
    return [messages.title(n) for n in rows]


def check_recipient(browser, base, username, expected: list[str], shot: str) -> None:
    phone = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    sign_in(phone, base, username)
    phone.screenshot(path=shot, clip={"x": 0, "y": 0, "width": 390, "height": 120})
    bell = phone.locator("[data-testid=bell]")
    assert bell.is_visible()  # without opening the menu
    assert not phone.locator("#wa-nav").is_visible()
    assert bell.get_attribute("data-unread") == str(len(expected))
    assert bell.locator(".badge").inner_text().strip() == str(len(expected))
    bell.click()
    phone.wait_for_url(f"{base}/notifications/")
    inbox = phone.locator("[data-testid=inbox]").inner_text()
    for title in expected:
        assert title in inbox
    assert no_horizontal_scroll(phone)
    phone.close()


def test_each_handoff_shows_on_the_recipients_bell_and_inbox_with_one_delivery_per_channel(
    world, live_server, browser, screenshot_dir
):
    NotifyEndpoint.objects.create(unit=world.wanan, channel=Channel.EMAIL, address="wanan@hongtong.gov.cn")
    NotifyEndpoint.objects.create(unit=world.wanan, channel=Channel.WECOM, address=WECOM)
    NotifyEndpoint.objects.create(group=world.group, channel=Channel.EMAIL, address="group6@linfen.gov.cn")
    office, wanan, leader, inspector = world.office, world.wanan_official, world.leader, world.inspector

    # A task assigned; its close-out returned; an extension approved, another rejected; a 批示.
    task = world.task(title="煤矿“三堂一舍”隐患排查")
    task_services.progress_report(task=task, by=wanan, percent=100, done="全部完成")
    task_services.task_request_close(task=task, by=wanan)
    task_services.task_return(task=task, by=office, reason="佐证材料不全")
    for approve, new_deadline in ((True, days(20)), (False, days(30))):
        extension = task_services.extension_request(
            task=task, by=wanan, new_deadline=new_deadline, reason="冬季施工受限"
        )
        task_services.extension_decide(extension=extension, by=office, approve=approve, reason="已研究")
    task_services.instruction_write(task=task, by=leader, text="务必在春节前完成")
    # A 督办单 issued; its rectification reported (to the group), returned (to 万安镇).
    order = services.order_issue(
        group=world.group,
        by=inspector,
        unit=world.wanan,
        problem="隐患排查台账未按周更新",
        requirement="一周内补齐",
        deadline=days(7),
    )
    services.order_acknowledge(order=order, by=wanan)
    services.order_report_rectification(order=order, by=wanan, text="已补齐台账")
    services.order_return(order=order, by=inspector, reason="照片看不清")

    to_wanan = Notification.objects.filter(unit=world.wanan)
    assert sorted(to_wanan.values_list("rule", flat=True)) == sorted(
        [
            ReminderRule.TASK_ASSIGNED,
            ReminderRule.TASK_RETURNED,
            ReminderRule.EXTENSION_APPROVED,
            ReminderRule.EXTENSION_REJECTED,
            ReminderRule.INSTRUCTION,
            ReminderRule.ORDER_ISSUED,
            ReminderRule.ORDER_RETURNED,
        ]
    )
    for notification in to_wanan:
        assert sorted(notification.deliveries.values_list("channel", flat=True)) == [
            Channel.EMAIL,
            Channel.WECOM,
        ]
    to_group = Notification.objects.get(group=world.group, rule=ReminderRule.ORDER_RECTIFIED)
    assert list(to_group.deliveries.values_list("channel", flat=True)) == [Channel.EMAIL]

    base = live_server.url
    check_recipient(
        browser, base, "wanan", titles(unit=world.wanan), os.path.join(screenshot_dir, "phone-bell.png")
    )
    check_recipient(
        browser,
        base,
        "inspector",
        titles(group=world.group),
        os.path.join(screenshot_dir, "phone-bell-inspector.png"),
    )
