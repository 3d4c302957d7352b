"""axe-core on every main page of the demo county, as the demo users who use each: 0 critical and 0
serious violations (WCAG 2 A/AA rules, colour contrast among them).

axe-core is vendored for the tests only (static/vendor/axe/, MPL-2.0); no page loads it, the test
injects the file into the page (bypassing the Content-Security-Policy, which refuses inline script). The Swagger UI (/api/docs/) is left out: it is drf-spectacular's
bundled third-party UI, not ours; our ReDoc page (/api/redoc/) is checked.
"""

import json
import os

import pytest

from supervision.models import Inspection, SupervisionOrder
from tasks.models import Person, Task

from .test_journeys import PASSWORD, sign_in

AXE = os.path.join(os.path.dirname(__file__), "..", "..", "static", "vendor", "axe", "axe.min.js")
BLOCKING = ("critical", "serious")


@pytest.fixture
def demo(db):
    from django.core.management import call_command

    call_command("load_demo", "--quiet")


def pages_to_check() -> list[tuple[str | None, str, dict]]:
    """(username, path, viewport) for every main page, as the demo users who open it."""
    wanan = Person.objects.get(username="wanan")
    task = Task.objects.filter(lead_unit=wanan.unit).order_by("code").first()
    wanan_order = SupervisionOrder.objects.get(unit=wanan.unit)
    other_order = SupervisionOrder.objects.exclude(unit=wanan.unit).first()
    inspection = Inspection.objects.first()
    bulletin = a_draft_bulletin()
    desk = {"width": 1280, "height": 900}
    phone = {"width": 375, "height": 812}
    wall = {"width": 1920, "height": 1080}
    return [
        (None, "/login/", desk),
        (None, "/login/", phone),
        # A township's official: the workspace, the task list and page, the report form, an order, the inbox.
        ("wanan", "/", desk),
        ("wanan", "/", phone),
        ("wanan", "/tasks/", desk),
        ("wanan", f"/tasks/{task.pk}/", desk),
        ("wanan", f"/tasks/{task.pk}/", phone),
        ("wanan", f"/tasks/{task.pk}/report/", desk),
        ("wanan", f"/supervision/orders/{wanan_order.pk}/", desk),
        ("wanan", "/notifications/", desk),
        ("wanan", "/indicators/", phone),
        ("wanan", "/indicators/entry/", desk),
        # The supervision office.
        ("office", "/", desk),
        ("office", "/supervision/dashboard/", desk),
        ("office", "/supervision/dashboard/?screen=1", wall),
        ("office", "/supervision/", desk),
        ("office", f"/supervision/orders/{other_order.pk}/", desk),
        ("office", "/supervision/groups/", desk),
        ("office", f"/supervision/units/{wanan.unit_id}/", desk),
        ("office", "/supervision/cards/", desk),
        ("office", "/supervision/ranking/", desk),
        ("office", "/office/ranking/", desk),
        ("office", "/tasks/", desk),
        ("office", f"/tasks/{task.pk}/", desk),
        ("office", "/office/", desk),
        ("office", "/office/import/", desk),
        ("office", "/indicators/", desk),
        ("office", "/indicators/entry/", desk),
        ("office", "/indicators/import/", desk),
        ("office", "/audit/", desk),
        ("office", "/notifications/", desk),
        ("office", "/supervision/bulletins/", desk),
        ("office", "/supervision/bulletins/new/", desk),
        ("office", f"/supervision/bulletins/{bulletin.pk}/", desk),
        ("office", f"/supervision/bulletins/{bulletin.pk}/print/", desk),
        ("office", "/api/redoc/", desk),
        # A supervision group's inspector.
        ("inspector", "/", desk),
        ("inspector", "/supervision/", desk),
        ("inspector", "/supervision/inspections/", desk),
        ("inspector", f"/supervision/inspections/{inspection.pk}/", desk),
        ("inspector", "/supervision/inspections/new/", desk),
        ("inspector", f"/supervision/orders/{wanan_order.pk}/", desk),
        ("inspector", "/notifications/", desk),
        # The county head.
        ("leader", "/", desk),
        ("leader", f"/tasks/{task.pk}/", desk),
        ("leader", "/supervision/dashboard/", desk),
        ("leader", "/supervision/ranking/", phone),
        ("leader", "/notifications/", desk),
        ("leader", f"/supervision/bulletins/{bulletin.pk}/", phone),
    ]


def a_draft_bulletin():
    """A 情况通报 draft of the demo county, by its office (the demo has none)."""
    from supervision.services import bulletin_draft
    from tasks.selectors import campaigns_visible_to
    from tests.factories import days

    office = Person.objects.get(username="office")
    campaign = campaigns_visible_to(office).order_by("-start_date", "-id").first()
    return bulletin_draft(
        campaign=campaign,
        region=campaign.owner,
        kind="weekly",
        period_start=days(-6),
        period_end=days(0),
        by=office,
    )


def axe_violations(page) -> list[dict]:
    page.add_script_tag(path=AXE)
    return page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(v => ({
             id: v.id, impact: v.impact,
             nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + ": " + (n.failureSummary || "").split("\\n")[1])
           }))"""
    )


@pytest.mark.slow
def test_every_main_page_has_no_serious_or_critical_axe_violation(demo, live_server, browser):
    found = {}
    sessions = {}
    for username, path, viewport in pages_to_check():
        key = (username, viewport["width"])
        if key not in sessions:
            context = browser.new_context(viewport=viewport, locale="zh-CN", bypass_csp=True)
            page = context.new_page()
            if username:
                page.goto(f"{live_server.url}/login/")
                page.fill("#id_username", username)
                page.fill("#id_password", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url(f"{live_server.url}/")
            sessions[key] = page
        page = sessions[key]
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, (username, path)
        page.wait_for_load_state("networkidle")
        blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
        if blocking:
            found[f"{username} {path} @{viewport['width']}"] = blocking
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)


@pytest.mark.slow
def test_the_top_bar_keeps_its_contrast_in_english_too(demo, live_server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN", bypass_csp=True)
    sign_in(page, live_server.url, "office")
    page.click("[data-testid=language-switch]")
    page.wait_for_selector("text=My workspace")
    contrast = [v for v in axe_violations(page) if v["id"] == "color-contrast"]
    assert contrast == []
