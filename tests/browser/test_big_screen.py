"""The big screen (驾驶舱 ?screen=1) on a 1920×1080 wall display, in a real headless Chromium, over the
demo county: everything fits without scrolling, no filter controls, and new figures arrive without the
page being reloaded."""

import pytest

from tasks import services
from tasks.models import Person, Task
from tests.factories import days

from .test_journeys import sign_in

FULL_HD = {"width": 1920, "height": 1080}


@pytest.fixture
def demo(db):
    from django.core.management import call_command

    call_command("load_demo", "--quiet")


def figure(page, key) -> str:
    return page.locator(f"[data-testid=card-{key}] [data-value]").inner_text().strip()


@pytest.mark.slow
def test_big_screen_fits_1920_by_1080_and_turns_its_pages(demo, live_server, browser):
    page = browser.new_page(viewport=FULL_HD, locale="zh-CN")
    sign_in(page, live_server.url, "office")
    page.goto(f"{live_server.url}/supervision/dashboard/?screen=1&rotate=5")
    page.wait_for_selector("#chart-status canvas")
    assert page.evaluate("document.documentElement.scrollHeight") <= FULL_HD["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= FULL_HD["width"]
    assert page.locator("meta[http-equiv=refresh]").count() == 0
    assert page.locator("form, select, [data-testid=dashboard-filters]").count() == 0

    pages = page.locator("[data-testid=screen-page]")
    assert pages.count() >= 3  # overview, overdue, the ranking
    for index in range(pages.count()):
        # Each page in turn: nothing in its panels is cut off below.
        page.wait_for_function(
            "i => document.querySelectorAll('[data-testid=screen-page]')[i].classList.contains('is-active')",
            arg=index,
            timeout=12_000,
        )
        cut = page.evaluate(
            """() => [...document.querySelectorAll('.wa-screen-page.is-active .wa-screen-panel table')]
                 .filter(t => t.getBoundingClientRect().bottom > t.closest('.wa-screen-panel').getBoundingClientRect().bottom + 1)
                 .length"""
        )
        assert cut == 0, index
        assert page.evaluate("document.documentElement.scrollHeight") <= FULL_HD["height"]
    # Labels stay large enough to read across a room.
    label_px = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('[data-testid=card-tasks] .wa-screen-label')).fontSize)"
    )
    figure_px = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('[data-testid=card-tasks] [data-value]')).fontSize)"
    )
    assert label_px >= 18 and figure_px >= 36
    # Every unit of the ranking is on one of the pages.
    ranked = page.locator("[data-testid=screen-ranking] tr[data-unit]").count()
    from supervision import dashboard

    office = Person.objects.get(username="office")
    campaign = Task.objects.filter(lead_unit__name="万安镇").first().campaign
    assert ranked == sum(len(g["rows"]) for g in dashboard.ranking(office, campaign=campaign)["groups"])


@pytest.mark.slow
def test_big_screen_shows_new_figures_without_reloading_the_page(demo, live_server, browser):
    page = browser.new_page(viewport=FULL_HD, locale="zh-CN")
    sign_in(page, live_server.url, "office")
    page.goto(f"{live_server.url}/supervision/dashboard/?screen=1&refresh=5")
    page.wait_for_selector("#chart-status canvas")
    page.evaluate("window.waMarker = 'still here'")
    before = int(figure(page, "tasks"))

    office = Person.objects.get(username="office")
    sample = Task.objects.filter(lead_unit__name="万安镇").first()
    services.task_create(
        campaign=sample.campaign,
        special_action=sample.special_action,
        title="大屏刷新检查任务",
        lead_unit=sample.lead_unit,
        deadline=days(10),
        by=office,
    )

    # A function, not an expression: Playwright would eval an expression, which the page's CSP forbids.
    page.wait_for_function(
        "n => document.querySelector('[data-testid=card-tasks] [data-value]').textContent.trim() === n",
        arg=str(before + 1),
        timeout=15_000,
    )
    assert page.evaluate("window.waMarker") == "still here"
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    page.wait_for_selector("#chart-status canvas")  # the charts are drawn again from the new data
    assert page.locator("[data-testid=screen-page].is-active").count() == 1
