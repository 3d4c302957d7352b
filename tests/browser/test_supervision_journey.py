"""The supervision journey in a real headless Chromium: an inspection becomes a 督办单, 万安镇 acknowledges
and rectifies it with a photo, the inspector closes it out; the dashboard's open-orders figure goes up
and back down. Also the README's dashboard pictures (desktop, big screen, phone) from the demo county.
"""

import os

import pytest
from PIL import Image

from supervision.models import Finding, OrderStatus, SupervisionAttachment, SupervisionOrder

from .test_journeys import no_horizontal_scroll, sign_in


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "整改后现场.jpg"
    Image.new("RGB", (1600, 1200), (40, 120, 60)).save(path, "JPEG", quality=80)
    return path


@pytest.fixture
def scene(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return world.task(title="煤矿“三堂一舍”隐患排查")


def open_orders(page, base_url) -> int:
    page.goto(f"{base_url}/supervision/dashboard/")
    return int(page.locator("[data-testid=card-open_orders] [data-value]").inner_text().strip())


def test_an_inspection_finding_becomes_an_order_that_wanan_rectifies_and_the_inspector_closes(
    world, scene, live_server, browser, photo, screenshot_dir
):
    base = live_server.url
    inspector = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    sign_in(inspector, base, "inspector")
    before = open_orders(inspector, base)

    # 实地督查 with one finding about 万安镇 and a photo, from a phone.
    inspector.goto(f"{base}/supervision/inspections/new/")
    inspector.select_option("#id_kind", "on_site")
    inspector.fill("#id_summary", "实地察看万安镇煤矿隐患排查整治情况")
    inspector.select_option("#id_findings-0-unit", value=str(world.wanan.pk))
    inspector.select_option("#id_findings-0-task", value=str(scene.pk))
    inspector.fill("#id_findings-0-text", "隐患排查台账未按周更新")
    inspector.set_input_files("#id_photos", str(photo))
    inspector.click("[data-testid=inspection-submit]")
    inspector.wait_for_url("**/supervision/inspections/*/")
    assert no_horizontal_scroll(inspector)
    inspector.wait_for_selector("[data-testid=inspection-evidence] img")

    # The finding becomes a 督办单 in one step.
    inspector.click("[data-testid=inspection-findings] summary")
    inspector.fill(
        "[data-testid=finding-to-order-form] textarea[name$=requirement]", "一周内补齐台账并建立周更新机制"
    )
    inspector.click("[data-testid=finding-to-order]")
    inspector.wait_for_url("**/supervision/orders/*/")
    order = SupervisionOrder.objects.get(finding=Finding.objects.get(text="隐患排查台账未按周更新"))
    assert order.unit == world.wanan and "〔" in order.number
    assert list(order.tasks.all()) == [scene]
    assert order.number in inspector.locator("main").inner_text()
    inspector.screenshot(path=os.path.join(screenshot_dir, "order-issued.png"), full_page=True)
    assert open_orders(inspector, base) == before + 1

    # 万安镇 sees it on its workspace, acknowledges it and reports the rectification with a photo.
    wanan = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    sign_in(wanan, base, "wanan")
    wanan.click(f"[data-section=orders] a[href='/supervision/orders/{order.pk}/']")
    wanan.wait_for_url(f"**/supervision/orders/{order.pk}/")
    wanan.click("[data-testid=order-acknowledge]")
    wanan.wait_for_selector("[data-testid=order-rectify-form]")
    wanan.fill("[data-testid=order-rectify-form] textarea", "已补齐11月台账,建立每周一更新制度")
    wanan.set_input_files("[data-testid=order-rectify-files]", str(photo))
    wanan.click("[data-testid=order-rectify]")
    wanan.wait_for_selector("[data-testid=order-status]:has-text('已反馈整改')")
    order.refresh_from_db()
    assert order.status == OrderStatus.RECTIFIED
    assert SupervisionAttachment.objects.filter(order=order, order_event__isnull=False).count() == 1
    assert open_orders(inspector, base) == before + 1  # rectified is not closed out

    # The inspector checks the evidence and closes the order out.
    inspector.goto(f"{base}/supervision/orders/{order.pk}/")
    inspector.wait_for_selector("main img")
    inspector.click("[data-testid=order-verify]")
    inspector.wait_for_selector("[data-testid=order-status]:has-text('已销号')")
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED
    assert open_orders(inspector, base) == before


def test_demo_dashboard_screens(db, live_server, browser, screenshot_dir):
    """The README's dashboard pictures: desktop, the big screen, and a phone."""
    from django.core.management import call_command

    call_command("load_demo", "--quiet")
    for name, viewport, path in (
        ("dashboard", {"width": 1280, "height": 900}, "/supervision/dashboard/"),
        ("dashboard-screen", {"width": 1920, "height": 1080}, "/supervision/dashboard/?screen=1"),
        ("dashboard-phone", {"width": 375, "height": 812}, "/supervision/dashboard/"),
    ):
        page = browser.new_page(viewport=viewport, locale="zh-CN")
        sign_in(page, live_server.url, "office")
        page.goto(f"{live_server.url}{path}")
        page.wait_for_selector("#chart-status canvas")
        page.wait_for_timeout(600)  # let the charts finish their first paint
        assert no_horizontal_scroll(page)
        page.screenshot(
            path=os.path.join(screenshot_dir, f"{name}.png"), full_page=name != "dashboard-screen"
        )
        page.close()
