"""What the console's browser tests share: screenshots under test-artifacts/console/<backend>/, signing in, and
pages to be polled until they show an outcome."""

from __future__ import annotations

import os
import time
from pathlib import Path

from playwright.sync_api import Page

from tests.support.databases import backend

REPO = Path(__file__).resolve().parents[2]


def console_artifacts() -> Path:
    root = Path(os.environ.get("HIREBRIDGE_CONSOLE_ARTIFACTS") or REPO / "test-artifacts" / "console")
    folder = root / backend()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save(page: Page, name: str) -> Path:
    """A full-page screenshot as ``test-artifacts/console/<backend>/<name>.png``."""
    path = console_artifacts() / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def browser_sign_in(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def reload_until(page: Page, selector: str, text: str, timeout: float = 30.0) -> None:
    """Reload the page until ``selector`` shows ``text`` (the console has no script; people reload too)."""
    deadline = time.monotonic() + timeout
    while text not in (page.locator(selector).first.text_content() or ""):
        if time.monotonic() > deadline:
            raise AssertionError(f"{selector} did not show {text!r} within {timeout} s")
        time.sleep(0.3)
        page.reload()
