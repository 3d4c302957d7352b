"""指标 in a browser: the source unit fills the month's figures on a phone, and the table shows the
figure behind its target in red with its mark, scrolling sideways inside itself, not the page."""

import pytest

from tasks.indicators import indicator_create, indicator_target_set
from tasks.models import IndicatorFigure
from tests.factories import days, statistics_bureau

from .test_journeys import no_horizontal_scroll, sign_in

PHONE = {"width": 375, "height": 812}


@pytest.fixture
def indicators(world):
    stats, _official = statistics_bureau(world)
    month = world.campaign.start_date.replace(day=1)
    made = []
    for n, name in enumerate(("固定资产投资", "建筑业产值")):
        indicator = indicator_create(
            campaign=world.campaign,
            name=name,
            measure="亿元",
            kind="cumulative",
            responsible_unit=world.wanan,
            source_unit=stats,
            sort_order=n,
            by=world.office,
        )
        indicator_target_set(indicator=indicator, month=month, target="10", by=world.office)
        made.append(indicator)
    return month, made


def test_the_source_unit_reports_on_a_phone_and_the_table_marks_the_lag(
    world, indicators, live_server, browser
):
    month, (investment, building) = indicators
    assert month <= days(
        0
    )  # the campaign's first month is not in the future: its actual figure may be reported
    page = browser.new_page(viewport=PHONE, locale="zh-CN")
    sign_in(page, live_server.url, "tongji")
    page.goto(f"{live_server.url}/indicators/entry/?month={month:%Y-%m}")
    assert no_horizontal_scroll(page)
    page.fill(f"#f{investment.pk}-actual-value", "8.5")
    page.fill(f"#f{investment.pk}-actual-gap_reason", "两个项目延后开工")
    page.fill(f"#f{building.pk}-actual-value", "12")
    page.click("[data-testid=entry-save]")
    page.wait_for_selector(".alert-success")
    assert IndicatorFigure.objects.filter(kind="actual").count() == 2

    page.goto(f"{live_server.url}/indicators/?month={month:%Y-%m}")
    assert no_horizontal_scroll(page)
    behind = page.locator(f"tr[data-indicator='{investment.pk}'] .wa-behind").first
    assert "↓ 滞后" in behind.inner_text()
    colour = behind.evaluate("cell => getComputedStyle(cell).backgroundColor")
    assert colour != "rgba(0, 0, 0, 0)"
    assert page.locator(f"tr[data-indicator='{building.pk}'] .wa-behind").count() == 0
    page.close()


def test_the_indicator_pages_have_no_serious_axe_violation(world, indicators, live_server, browser):
    from .test_accessibility import BLOCKING, axe_violations

    month, (investment, _building) = indicators
    page = browser.new_page(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", bypass_csp=True
    )  # axe is injected inline
    sign_in(page, live_server.url, "tongji")
    page.goto(f"{live_server.url}/indicators/entry/?month={month:%Y-%m}")
    page.fill(f"#f{investment.pk}-actual-value", "8.5")
    page.click("[data-testid=entry-save]")
    page.wait_for_selector(".alert-success")
    found = {}
    for path in ("/indicators/", f"/indicators/entry/?month={month:%Y-%m}", "/indicators/import/"):
        page.goto(f"{live_server.url}{path}")
        blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
        if blocking:
            found[path] = blocking
    # The entry form with a row in error.
    page.goto(f"{live_server.url}/indicators/entry/?month={month:%Y-%m}")
    page.fill(f"#f{investment.pk}-actual-value", "约3亿")
    page.click("[data-testid=entry-save]")
    page.wait_for_selector("[data-testid=entry-errors]")
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
    if blocking:
        found["entry with errors"] = blocking
    assert not found, found
    page.close()
