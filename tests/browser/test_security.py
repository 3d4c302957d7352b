"""Stored script in a name, and the Content-Security-Policy, in a real headless Chromium.

A county office names units and special actions; city-level people read them on the dashboard. A name
that is markup must show as text and run nothing, and no page of ours may need what the policy forbids
(inline script, eval, another origin): the browser reports each violation as `securitypolicyviolation`.
"""

import pytest

from tasks import services
from tests.factories import days

from .test_journeys import sign_in

PAYLOAD = '<img src=x onerror="window.__xss=1">'

# Collected before any script of the page runs (Playwright's init scripts are not subject to the policy).
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


@pytest.fixture
def hostile_names(world):
    """An overdue task whose lead unit and special action are both named with markup."""
    unit = services.unit_create(by=None, name=PAYLOAD, kind="township", parent=world.county)
    action = services.special_action_create(campaign=world.campaign, name=PAYLOAD, code="XS", by=world.office)
    return world.task(lead_unit=unit, special_action=action, start_date=days(-20), deadline=days(-2))


def watched_page(browser, **kwargs):
    page = browser.new_page(locale="zh-CN", **kwargs)
    page.add_init_script(WATCH_VIOLATIONS)
    console = []
    page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
    page.console_errors = console
    return page


def next_page(page, url):
    page.console_errors.clear()
    return page.goto(url)


# ReDoc's "powered by" badge is an image on its CDN: the policy refusing it is the point (intranets).
KNOWN_FOREIGN = "https://cdn.redoc.ly/"


def violations(page) -> list[str]:
    reported = page.evaluate("window.__violations || []")
    found = reported + [text for text in page.console_errors if "Content Security Policy" in text]
    return [text for text in found if KNOWN_FOREIGN not in text]


@pytest.mark.slow
def test_a_unit_and_special_action_named_with_markup_show_as_text_on_the_dashboard(
    hostile_names, live_server, browser
):
    page = watched_page(browser)
    sign_in(page, live_server.url, "city_office")
    page.goto(f"{live_server.url}/supervision/dashboard/?campaign={hostile_names.campaign_id}")
    page.wait_for_selector("#chart-heatmap canvas")
    # Show the heat map's tooltip over the hostile cell, and the other charts' tooltips.
    shown = page.evaluate(
        """() => {
          const shown = [];
          for (const id of ["chart-heatmap", "chart-by-action", "chart-status", "chart-burnup", "chart-reports"]) {
            const el = document.getElementById(id);
            const chart = el && window.echarts.getInstanceByDom(el);
            if (!chart) { continue; }
            const series = chart.getOption().series[0];
            series.data.forEach((_, i) => {
              chart.dispatchAction({type: "showTip", seriesIndex: 0, dataIndex: i});
              if (document.querySelector("img[src=x]")) { shown.push("markup in " + id); }
            });
            shown.push(id);
          }
          return shown;
        }"""
    )
    assert "chart-heatmap" in shown and "chart-by-action" in shown
    assert [entry for entry in shown if entry.startswith("markup")] == []
    heat = page.evaluate(
        """() => {
          const chart = echarts.getInstanceByDom(document.getElementById("chart-heatmap"));
          const cells = chart.getOption().series[0].data;
          const i = cells.findIndex(c => c[2] > 0);
          chart.dispatchAction({type: "showTip", seriesIndex: 0, dataIndex: i});
          const tip = document.querySelector("#chart-heatmap > div:last-child");
          return {text: tip ? tip.textContent : "", images: document.querySelectorAll("#chart-heatmap img").length};
        }"""
    )
    page.wait_for_timeout(300)  # an onerror would fire on the next turn of the event loop
    assert page.evaluate("window.__xss") is None
    assert heat["images"] == 0
    assert PAYLOAD in heat["text"]
    assert violations(page) == []


@pytest.mark.slow
def test_no_page_needs_what_the_content_security_policy_forbids(world, hostile_names, live_server, browser):
    task = hostile_names
    pages = [
        "/",
        "/tasks/",
        f"/tasks/{task.pk}/",
        "/supervision/dashboard/",
        "/supervision/dashboard/?screen=1",
        "/office/",
        f"/office/tasks/{task.pk}/edit/",
        "/office/import/",
        "/office/endpoints/",
        "/account/tokens/",
        "/account/password/",
        "/api/docs/",
        "/api/redoc/",
        "/admin/",
        "/admin/tasks/person/",
        f"/admin/tasks/person/{world.wanan_official.pk}/change/",
        f"/admin/tasks/person/{world.wanan_official.pk}/password/",
        f"/admin/tasks/task/{task.pk}/change/",
    ]
    page = watched_page(browser)
    sign_in(page, live_server.url, "office")
    found = {}
    for path in pages:
        response = next_page(page, f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "default-src 'self'" in response.headers["content-security-policy"], path
        page.wait_for_load_state("networkidle")
        if path.startswith("/api/"):
            page.wait_for_selector("#swagger-ui .info, redoc h1", timeout=15_000)
        if violations(page):
            found[path] = sorted(set(violations(page)))
    assert page.evaluate("window.__xss") is None
    assert found == {}
