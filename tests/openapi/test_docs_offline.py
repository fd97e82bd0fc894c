"""``/docs`` (Swagger UI) and ``/redoc`` render every operation in a real browser with no request leaving the
machine: headless Chromium (Debian's package, driven by Playwright) with every non-local request blocked. The pages
are saved as screenshots under ``$HIREBRIDGE_ARTIFACTS`` (default ``test-artifacts/openapi/<backend>/``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Route, sync_playwright

from tests.support.databases import backend

CHROMIUM = Path(os.environ.get("HIREBRIDGE_CHROMIUM", "/usr/bin/chromium"))
REPO = Path(__file__).resolve().parents[2]


def _screenshots() -> Path:
    root = Path(os.environ.get("HIREBRIDGE_ARTIFACTS") or REPO / "test-artifacts")
    folder = root / "openapi" / backend()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_docs_pages_reference_only_their_own_assets(client: httpx.Client) -> None:
    for page in ("/docs", "/redoc"):
        response = client.get(page)
        assert "://" not in response.text, page
        assert "default-src 'self'" in response.headers["content-security-policy"], page
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js"):
        response = client.get(f"/docs-assets/{asset}")
        assert response.status_code == 200, asset
        assert len(response.content) > 10_000, asset


@pytest.mark.parametrize(
    ("page_path", "operation_selector"),
    [("/docs", ".opblock"), ("/redoc", "[data-section-id^='tag/'] h2, [id^='operation/']")],
)
def test_docs_render_the_operations_offline(
    service: str, document: dict[str, Any], page_path: str, operation_selector: str
) -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and no Chromium at {CHROMIUM}", pytrace=False)
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)")
    blocked: list[str] = []

    def local_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    operations = sum(1 for item in document["paths"].values() for method in item if method != "parameters")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.route("**/*", local_only)
            page = context.new_page()
            page.goto(f"{service}{page_path}", wait_until="networkidle")
            page.wait_for_selector(operation_selector, timeout=30_000)
            shown = page.locator(operation_selector).count()
            text = page.inner_text("body")
            page.screenshot(path=str(_screenshots() / f"{page_path.strip('/')}.png"))
            if page_path == "/docs":  # one operation opened: its body, security and every response
                operation = page.locator(".opblock", has_text="/candidate.create").first
                operation.locator(".opblock-summary").click()
                operation.locator(".responses-table").first.wait_for()
                text += operation.inner_text()
                operation.screenshot(path=str(_screenshots() / "docs-candidate.create.png"))
        finally:
            browser.close()
    assert blocked == [], f"the page tried to load from outside the machine: {blocked}"
    assert "Create a candidate (candidatesWrite)" in text
    if page_path == "/docs":
        assert all(part in text for part in ("Request body", "Idempotency-Key", "401", "403", "invalid_api_key")), text
    if page_path == "/docs":
        assert shown == operations
    else:
        assert shown >= operations
