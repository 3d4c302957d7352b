"""A bulletin (情况通报) from draft to issue in Chromium: the office drafts it and edits a section, a leader
signs it in another browser, the office issues it; then the official of a unit it names lagging sees
the bell's count and the bulletin in the inbox, on a phone."""

import os

import pytest

from supervision import messages
from supervision.models import Bulletin, BulletinStatus, Notification, ReminderRule
from supervision.selectors import TITLE_ROWS
from tasks import services as task_services
from tests.factories import days

from .test_journeys import no_horizontal_scroll, sign_in

pytestmark = pytest.mark.slow

REQUIREMENT = "万安镇要在12月15日前完成煤矿隐患整改,逐项销号。"


def test_office_drafts_edits_leader_signs_office_issues_and_the_lagging_unit_is_told(
    world, live_server, browser, screenshot_dir
):
    # 万安镇 leads a task three days overdue, its last report naming a problem: the draft names it lagging.
    late = world.task(title="万安镇煤矿隐患排查", start_date=days(-30), deadline=days(-3))
    task_services.progress_report(
        task=late, by=world.wanan_official, percent=40, done="已排查两处", problems="井下通风设备老化"
    )
    base = live_server.url

    office = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    sign_in(office, base, "office")
    office.click("[data-testid=nav-bulletins]")
    office.wait_for_url(f"{base}/supervision/bulletins/")
    office.click("[data-testid=bulletin-new-link]")
    office.select_option("#id_kind", "weekly")
    office.click("[data-testid=bulletin-submit]")
    office.wait_for_selector("[data-testid=bulletin-editor]")
    bulletin = Bulletin.objects.get()
    assert office.url == f"{base}/supervision/bulletins/{bulletin.pk}/"
    document = office.locator("[data-testid=bulletin-document]")
    assert "三、滞后单位和事项" in document.inner_text()
    assert "井下通风设备老化" in document.inner_text()
    assert office.locator("[data-testid=bulletin-number]").inner_text() == "草稿"

    office.fill("#text-requirements", REQUIREMENT)
    office.click("[data-testid=bulletin-save]")
    office.wait_for_selector("text=正文已保存")
    assert REQUIREMENT in office.locator("[data-testid=bulletin-document]").inner_text()
    assert office.locator("[data-testid=bulletin-sign]").count() == 0  # the office does not sign

    leader = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    sign_in(leader, base, "leader")
    leader.goto(f"{base}/supervision/bulletins/{bulletin.pk}/")
    assert leader.locator("[data-testid=bulletin-editor]").count() == 0
    leader.click("[data-testid=bulletin-sign]")
    leader.wait_for_selector("[data-testid=bulletin-status][data-status=signed]")

    office.reload()
    office.click("[data-testid=bulletin-issue]")
    office.wait_for_selector("[data-testid=bulletin-status][data-status=issued]")
    assert office.locator("[data-testid=bulletin-number]").inner_text() == "第1期"
    assert office.locator("[data-testid=bulletin-editor]").count() == 0
    office.screenshot(path=os.path.join(screenshot_dir, "bulletin-issued.png"), full_page=True)
    bulletin.refresh_from_db()
    assert bulletin.status == BulletinStatus.ISSUED and bulletin.pdf and bulletin.docx

    # 万安镇's official, on a phone: the bell counts the bulletin, the inbox lists it, it opens the bulletin.
    told = Notification.objects.get(rule=ReminderRule.BULLETIN_ISSUED, unit=world.wanan)
    unread = Notification.objects.filter(unit=world.wanan).count()
    title = messages.title(Notification.objects.select_related(*TITLE_ROWS).get(pk=told.pk))
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    sign_in(phone, base, "wanan")
    bell = phone.locator("[data-testid=bell]")
    assert bell.is_visible()
    assert bell.get_attribute("data-unread") == str(unread)
    assert bell.locator(".badge").inner_text().strip() == str(unread)
    bell.click()
    phone.wait_for_url(f"{base}/notifications/")
    item = phone.locator(f"[data-testid=inbox] [data-notification='{told.pk}']")
    assert title in item.inner_text() and "第1期" in title
    phone.goto(base + item.locator("a").get_attribute("href"))  # opens it: read, and on to the bulletin
    phone.wait_for_url(f"{base}/supervision/bulletins/{bulletin.pk}/")
    assert REQUIREMENT in phone.locator("[data-testid=bulletin-document]").inner_text()
    assert no_horizontal_scroll(phone)
    phone.screenshot(path=os.path.join(screenshot_dir, "phone-bulletin.png"))
