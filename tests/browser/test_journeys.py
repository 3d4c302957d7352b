"""The officials' journeys in a real headless Chromium (Debian's chromium, driven by Playwright).

Screenshots of the workspace, the task page and the phone view are saved under var/screenshots;
`make screenshots` copies them to docs/screenshots for the README.
"""

import datetime
import os

import pytest
import time_machine
from PIL import Image

from tasks import services
from tasks.models import Task, TaskEvent
from tests.factories import days

PASSWORD = "winteraction"


@pytest.fixture
def photo(tmp_path):
    """A real JPEG, as a phone would send it."""
    path = tmp_path / "现场照片.jpg"
    Image.new("RGB", (2400, 1800), (180, 40, 40)).save(path, "JPEG", quality=80)
    return path


@pytest.fixture
def oversized(tmp_path):
    """A PDF over the 10 MB limit."""
    path = tmp_path / "整改台账.pdf"
    path.write_bytes(b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024 + 10))
    return path


@pytest.fixture
def late_task(world, settings, tmp_path):
    """万安镇's overdue task in progress, last reported ten days ago: it awaits a report."""
    settings.MEDIA_ROOT = tmp_path / "media"
    task = world.task(title="煤矿“三堂一舍”隐患排查", start_date=days(-30), deadline=days(-3))
    with time_machine.travel(datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=10), tick=False):
        services.progress_report(task=task, by=world.wanan_official, percent=30, done="完成3处排查")
    return task


def sign_in(page, base_url, username):
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def report_from_the_task_page(page, task, photo, shots, prefix):
    page.click(f"[data-section=overdue] a[href='/tasks/{task.pk}/']")
    page.wait_for_url(f"**/tasks/{task.pk}/")
    page.click("[data-testid=report-panel] summary")
    page.fill("#id_percent", "60")
    page.fill("#id_done", "完成井下巡查,整改隐患2处")
    page.set_input_files("#id_attachments", str(photo))
    page.click("[data-action=report-submit]")
    page.wait_for_selector("#task-attachments img")
    page.screenshot(path=os.path.join(shots, f"{prefix}task.png"), full_page=True)


def test_official_reports_progress_with_a_photo(
    world, late_task, live_server, browser, photo, screenshot_dir
):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    sign_in(page, live_server.url, "wanan")
    assert late_task.title in page.locator("[data-section=awaiting_report]").inner_text()
    page.screenshot(path=os.path.join(screenshot_dir, "workspace.png"), full_page=True)

    report_from_the_task_page(page, late_task, photo, screenshot_dir, "")

    assert "60%" in page.locator("#task-info").inner_text()
    assert "填报进度" in page.locator("#task-timeline").inner_text()
    assert Task.objects.get(pk=late_task.pk).progress == 60
    page.goto(f"{live_server.url}/")
    awaiting = page.locator("[data-section=awaiting_report]")
    assert awaiting.count() == 0 or late_task.title not in awaiting.inner_text()


def test_an_oversized_file_keeps_what_was_typed(world, late_task, live_server, browser, oversized):
    page = browser.new_page(locale="zh-CN")
    sign_in(page, live_server.url, "wanan")
    page.goto(f"{live_server.url}/tasks/{late_task.pk}/report/")
    page.fill("#id_percent", "50")
    page.fill("#id_done", "完成隐患排查台账整理")
    page.set_input_files("#id_attachments", str(oversized))
    page.click("[data-action=report-submit]")

    page.wait_for_selector(".invalid-feedback, .alert-danger")
    assert "10 MB" in page.locator("body").inner_text()
    assert page.input_value("#id_done") == "完成隐患排查台账整理"
    assert page.input_value("#id_percent") == "50"
    assert not TaskEvent.objects.filter(task=late_task, note="完成隐患排查台账整理").exists()


def test_the_office_creates_a_task_that_wanan_then_sees(world, live_server, browser):
    office = browser.new_context(locale="zh-CN").new_page()
    sign_in(office, live_server.url, "office")
    office.goto(f"{live_server.url}/office/tasks/new/")
    office.select_option("#id_special_action", label=world.safety.name)
    office.fill("#id_title", "冬季地质灾害隐患点巡查")
    office.select_option("#id_lead_unit", value=str(world.wanan.pk))
    office.fill("#id_start_date", days(0).isoformat())
    office.fill("#id_deadline", days(5).isoformat())
    office.click("main form button[type=submit]")
    office.wait_for_url("**/tasks/*/")
    task = Task.objects.get(title="冬季地质灾害隐患点巡查")

    wanan = browser.new_context(locale="zh-CN").new_page()
    sign_in(wanan, live_server.url, "wanan")
    assert task.title in wanan.locator("[data-section=due_soon]").inner_text()


def test_the_phone_journey_never_scrolls_sideways(
    world, late_task, live_server, browser, photo, screenshot_dir
):
    page = browser.new_page(
        viewport={"width": 375, "height": 812}, locale="zh-CN", is_mobile=True, has_touch=True
    )
    sign_in(page, live_server.url, "wanan")
    assert no_horizontal_scroll(page)
    page.screenshot(path=os.path.join(screenshot_dir, "phone-workspace.png"), full_page=True)
    report_from_the_task_page(page, late_task, photo, screenshot_dir, "phone-")
    assert no_horizontal_scroll(page)
    page.goto(f"{live_server.url}/tasks/")
    assert no_horizontal_scroll(page)


def test_the_language_switch_turns_the_workspace_english_and_back(world, late_task, live_server, browser):
    page = browser.new_page(locale="zh-CN")
    sign_in(page, live_server.url, "wanan")
    assert "工作台" in page.locator("nav").inner_text()
    page.click("[data-testid=language-switch]")
    page.wait_for_selector("text=My workspace")
    assert "Overdue" in page.locator("main").inner_text()
    page.click("[data-testid=language-switch]")
    page.wait_for_selector("nav >> text=工作台")
    assert "逾期" in page.locator("main").inner_text()


def test_demo_county_screens(db, live_server, browser, screenshot_dir):
    """The README's pictures: the demo county as 万安镇 and as the supervision office see it."""
    from django.core.management import call_command

    call_command("load_demo", "--quiet")
    for username, shots in (("wanan", ("demo-workspace",)), ("office", ("demo-office", "demo-tasks"))):
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        sign_in(page, live_server.url, username)
        assert "工作台" in page.locator("h1").inner_text()
        page.screenshot(path=os.path.join(screenshot_dir, f"{shots[0]}.png"), full_page=True)
        if len(shots) > 1:
            page.goto(f"{live_server.url}/tasks/?ordering=deadline")
            assert page.locator("[data-testid=result-count]").count() == 1
            page.screenshot(path=os.path.join(screenshot_dir, f"{shots[1]}.png"))
        page.close()
