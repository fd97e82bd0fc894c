"""What the console's browser tests share: screenshots under test-artifacts/console/<backend>/, signing in, pages to
be polled until they show an outcome, and database work off Playwright's event loop.

Playwright's sync API keeps an event loop running on the main thread while the browser lives, and every engine
refuses a statement on a running event loop's thread (``db.engine.guard_event_loop``). So these tests write their
records in a worker thread (``off_loop``), and ``org`` here replaces the shared fixture with one that does."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from playwright.sync_api import Page

from hirebridge.orgs.service import IssuedCredentials, create_organization
from hirebridge.runtime import Runtime
from tests.hardening import sensitive
from tests.support.databases import backend

T = TypeVar("T")

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


def off_loop(work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``work(*args, **kwargs)`` in a worker thread (see the module docstring)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work, *args, **kwargs).result()


def new_organization(runtime: Runtime, name: str = "Test Org") -> IssuedCredentials:
    def create() -> IssuedCredentials:
        with runtime.transaction() as session:
            return create_organization(session, name)

    credentials = off_loop(create)
    sensitive.SENSITIVE.add("client secret", credentials.client_secret)
    sensitive.SENSITIVE.add("api key", credentials.api_key)
    return credentials


@pytest.fixture
def org(runtime: Runtime) -> IssuedCredentials:
    """The shared ``org`` fixture, made off the event loop."""
    return new_organization(runtime)
