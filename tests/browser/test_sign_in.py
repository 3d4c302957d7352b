"""Signing in from a phone-sized screen in a real Chromium."""

import os

from tests.factories import days


def test_township_official_signs_in_and_sees_overdue_and_due_soon_work(
    world, live_server, browser, screenshot_dir
):
    late = world.task(title="露天焚烧巡查", start_date=days(-20), deadline=days(-2))
    soon = world.task(title="地质灾害隐患点巡查", start_date=days(-5), deadline=days(3))

    page = browser.new_page(viewport={"width": 375, "height": 740}, locale="zh-CN")
    page.goto(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "登录"
    page.fill("#id_username", "wanan")
    page.fill("#id_password", "winteraction")
    page.click("button.primary")

    page.wait_for_selector("h1:text('工作台')")
    assert page.locator("[data-tile=overdue] .wa-figure").inner_text() == "1"
    assert page.locator("[data-tile=due_soon] .wa-figure").inner_text() == "1"
    assert late.title in page.locator("[data-section=overdue]").inner_text()
    assert soon.title in page.locator("[data-section=due_soon]").inner_text()
    page.screenshot(path=os.path.join(screenshot_dir, "home-375.png"), full_page=True)


def test_a_wrong_password_is_refused_in_chinese(world, live_server, browser):
    page = browser.new_page(locale="zh-CN")
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "wanan")
    page.fill("#id_password", "wrong-password")
    page.click("button.primary")
    assert "用户名或密码不正确" in page.locator(".error").inner_text()


def test_a_browser_set_to_english_gets_english_and_can_switch_to_chinese(world, live_server, browser):
    page = browser.new_page(locale="en-US")
    page.goto(f"{live_server.url}/login/")
    assert page.locator("h1").inner_text() == "Sign in"
    page.click("button[name=language][value=zh-hans]")
    assert page.locator("h1").inner_text() == "登录"
