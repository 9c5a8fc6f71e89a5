"""Swagger UI renders in a real headless Chromium with no network but the service's own.

Debian's chromium (/usr/bin/chromium; `.ci/run` installs it) driven by Playwright; every
request to another host is aborted and recorded, and the test asserts there was none.
"""

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.service import Service

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def api(tmp_path):
    service = Service(tmp_path / "workspace")
    service.workspace.mkdir()
    service.start_api()
    yield service
    service.stop()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_swagger_ui_renders_the_operations_with_the_network_off(api, tmp_path):
    from playwright.sync_api import sync_playwright

    own = urlsplit(api.url).netloc
    elsewhere: list[str] = []

    def only_the_service(route):
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = browser.new_page()
            page.route("**/*", only_the_service)
            page.goto(f"{api.url}/docs", wait_until="networkidle")
            page.wait_for_selector(".opblock", timeout=30_000)
            screenshot = tmp_path / "swagger-ui.png"
            page.screenshot(path=str(screenshot), full_page=True)
            operations = page.locator(".opblock-summary").all_inner_texts()
        finally:
            browser.close()

    assert elsewhere == [], f"the page tried to reach other hosts: {elsewhere}"
    assert screenshot.stat().st_size > 10_000
    flat = [" ".join(text.split()) for text in operations]
    assert any(text.startswith("POST /jobs") for text in flat), flat
    assert any(text.startswith("GET /jobs/{job_id}") for text in flat), flat
