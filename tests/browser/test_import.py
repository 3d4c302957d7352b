"""导入清单 in a real headless Chromium: a file with mistakes, its preview, the fixed file, the commit."""

import os
import re

from tasks.models import Task
from tests.factories import days
from tests.import_workbooks import task_list_bytes

from .test_accessibility import BLOCKING, axe_violations
from .test_journeys import sign_in

TITLES = ("万安镇燃气管道隐患排查", "山目乡冬季消防检查")


def rows(world, *, lead_unit="万安镇", deadline=None):
    return [
        [
            1,
            world.safety.name,
            TITLES[0],
            lead_unit,
            "县应急管理局",
            days(0).isoformat(),
            days(20).isoformat(),
            "",
        ],
        [
            2,
            world.safety.name,
            TITLES[1],
            "山目乡",
            "",
            days(0).isoformat(),
            deadline or days(25).isoformat(),
            f"{days(10).isoformat()} 完成摸排",
        ],
    ]


# Records, for each upload progress event, the state import.js left the form in.
WATCH_PROGRESS = """() => {
  window.importStates = [];
  document.addEventListener("htmx:xhr:progress", (event) => {
    const box = event.target.closest("[data-import-form]");
    window.importStates.push(box ? box.dataset.importState : null);
  });
}"""


def test_office_uploads_a_list_with_mistakes_fixes_it_and_commits(
    world, live_server, browser, tmp_path, screenshot_dir
):
    broken = tmp_path / "任务清单.xlsx"
    broken.write_bytes(task_list_bytes(rows(world, lead_unit="县应急局", deadline="尽快")))
    fixed = tmp_path / "任务清单(修改).xlsx"
    fixed.write_bytes(task_list_bytes(rows(world)))
    not_a_workbook = tmp_path / "损坏.xlsx"
    not_a_workbook.write_bytes(b"not a workbook")

    page = browser.new_page(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", bypass_csp=True
    )  # axe is injected inline
    sign_in(page, live_server.url, "office")
    page.goto(f"{live_server.url}/office/")
    page.click("[data-testid=office-nav] >> text=导入清单")
    page.wait_for_url(f"{live_server.url}/office/import/")

    # A refused file comes back into the page (htmx), after the progress bar went through the upload.
    page.evaluate(WATCH_PROGRESS)
    page.set_input_files("#id_file", str(not_a_workbook))
    page.click("[data-testid=import-submit]")
    page.wait_for_selector("[data-testid=import-refused]")
    assert page.url == f"{live_server.url}/office/import/"
    assert "parsing" in page.evaluate("window.importStates")
    page.screenshot(path=os.path.join(screenshot_dir, "import-refused.png"), full_page=True)

    # The file with a bad unit and a bad date: its preview names both cells; nothing can be committed.
    page.set_input_files("#id_file", str(broken))
    page.click("[data-testid=import-submit]")
    page.wait_for_url(re.compile(r".*/office/import/\d+/$"))
    problems = page.locator("[data-testid=import-problems]").inner_text()
    assert "D2" in problems and "县应急局" in problems
    assert "G3" in problems and "尽快" in problems
    assert page.locator("[data-testid=import-commit]").is_disabled()
    assert page.locator("tr[data-row='2'].table-danger").count() == 1
    page.screenshot(path=os.path.join(screenshot_dir, "import-preview-errors.png"), full_page=True)
    assert [v for v in axe_violations(page) if v["impact"] in BLOCKING] == []

    # The fixed file, uploaded from the preview page itself.
    first_preview = page.url
    page.set_input_files("#id_file", str(fixed))
    page.click("[data-testid=import-submit]")
    page.wait_for_url(lambda url: re.search(r"/office/import/\d+/$", url) and url != first_preview)
    assert page.locator("[data-count=create]").inner_text() == "2"
    assert page.locator("[data-count=error]").inner_text() == "0"
    assert page.locator("[data-testid=import-problems]").count() == 0

    page.click("[data-testid=import-commit]")
    page.wait_for_selector("[data-testid=import-committed]")
    page.screenshot(path=os.path.join(screenshot_dir, "import-committed.png"), full_page=True)
    assert [v for v in axe_violations(page) if v["impact"] in BLOCKING] == []
    assert "新建 2 项" in page.locator("main .alert-success").first.inner_text()
    assert set(Task.objects.filter(campaign=world.campaign).values_list("title", flat=True)) == set(TITLES)

    page.click("[data-testid=import-task-list]")
    page.wait_for_load_state("networkidle")
    listed = page.locator("main").inner_text()
    assert TITLES[0] in listed and TITLES[1] in listed


def test_without_javascript_the_upload_still_posts_and_the_preview_shows(
    world, live_server, browser, tmp_path
):
    listed = tmp_path / "任务清单.xlsx"
    listed.write_bytes(task_list_bytes(rows(world)))
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    sign_in(page, live_server.url, "office")
    page.goto(f"{live_server.url}/office/import/")
    page.set_input_files("#id_file", str(listed))
    page.click("[data-testid=import-submit]")
    page.wait_for_url(re.compile(r".*/office/import/\d+/$"))
    assert page.locator("[data-count=create]").inner_text() == "2"
    page.click("[data-testid=import-commit]")
    page.wait_for_selector("[data-testid=import-committed]")
    assert Task.objects.filter(campaign=world.campaign).count() == 2
