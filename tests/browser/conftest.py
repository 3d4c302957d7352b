import os

import pytest

SCREENSHOTS = os.path.join(os.path.dirname(__file__), "..", "..", "var", "screenshots")


@pytest.fixture
def browser(chromium_path):
    """A headless Chromium driven by Playwright (the system's browser; nothing is downloaded)."""
    # Playwright's sync API runs an event loop in this thread; the ORM calls that the
    # test makes around it are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        yield browser
        # Database work the test did while Playwright's loop ran used a connection local to that
        # context; close it here, or it outlives the test and blocks dropping the test database.
        from django.db import connections

        connections.close_all()
        browser.close()


@pytest.fixture
def screenshot_dir():
    os.makedirs(SCREENSHOTS, exist_ok=True)
    return SCREENSHOTS
