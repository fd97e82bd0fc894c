"""Headless Chromium from Debian's ``chromium`` package, driven by Playwright, against the service on a socket.

The browser is ``/usr/bin/chromium`` (``HIREBRIDGE_CHROMIUM`` names another); Playwright never downloads one. When
it is missing the tests skip with the reason, except under ``CI=true``, where they fail: ``scripts/test`` installs it.
One browser serves the whole package (``scope="package"``, not session): Playwright's sync API keeps an event loop
on the main thread while it lives, which would break later tests that run their own (``asyncio.run``).

Each test gets a fresh browser context (no shared cookies or cache) at the viewport it is parametrised with, and
``shot(name)`` saves a full-page screenshot under ``$HIREBRIDGE_ARTIFACTS`` (default ``test-artifacts/browser/``
in the repository), in a folder per database backend: ``<backend>/<viewport>-<name>.png``.

While the browser lives, the main thread has a running event loop, on whose thread the test suite's engines refuse
statements (``db.engine.guard_event_loop``); so ``org`` here is made in a worker thread, and a test that writes to
the database itself does it through ``off_loop`` (tests/browser/console_helpers.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from hirebridge.orgs.service import IssuedCredentials
from hirebridge.runtime import Runtime
from tests.browser.console_helpers import new_organization
from tests.support.databases import backend

CHROMIUM = Path(os.environ.get("HIREBRIDGE_CHROMIUM", "/usr/bin/chromium"))
REPO = Path(__file__).resolve().parents[2]
VIEWPORTS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


class Shot(Protocol):
    def __call__(self, name: str, *, full_page: bool = True) -> Path: ...


def artifacts_dir() -> Path:
    root = Path(os.environ.get("HIREBRIDGE_ARTIFACTS") or REPO / "test-artifacts" / "browser")
    folder = root / backend()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="package")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium; scripts/test does this as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield browser
        browser.close()


@pytest.fixture
def org(runtime: Runtime) -> IssuedCredentials:
    """The shared ``org`` fixture (tests/conftest.py), made off the main thread's event loop."""
    return new_organization(runtime)


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def context_options(viewport: str) -> dict[str, Any]:
    """Options of the test's browser context; a test may override this fixture (e.g. to add a color scheme)."""
    return dict(VIEWPORTS[viewport])


@pytest.fixture
def page(chromium: Browser, service: str, context_options: dict[str, Any]) -> Iterator[Page]:
    context = chromium.new_context(base_url=service, **context_options)
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def shot(page: Page, viewport: str) -> Shot:
    """``shot("01-landing")`` saves the page as it is now and returns the file."""
    folder = artifacts_dir()

    def save(name: str, *, full_page: bool = True) -> Path:
        path = folder / f"{viewport}-{name}.png"
        # A full-page capture keeps the viewport's scroll position, which would draw the sticky submit bar over the
        # first questions; it is shown in its place at the end of the form instead (full_page=False: as seen).
        style = ".submit-bar { position: static !important; }" if full_page else None
        page.screenshot(path=str(path), full_page=full_page, style=style)
        return path

    return save
