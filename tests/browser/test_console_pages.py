"""Every console page at 1280x800 and 390x844, in the light and the dark colour scheme: nothing wider than the
screen, text contrast of at least 4.5:1, a visible focus ring, and a screenshot of each
(test-artifacts/console/<backend>/2N-<page>-<viewport>-<scheme>.png)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from hirebridge.assessments.invitations import create_invitation
from hirebridge.core.models import Application
from hirebridge.orgs.models import Organization
from hirebridge.orgs.service import IssuedCredentials
from hirebridge.runtime import Runtime
from tests.ats.hris_helpers import simulator
from tests.browser.conftest import VIEWPORTS
from tests.browser.console_helpers import browser_sign_in, off_loop, org, save
from tests.browser.helpers import contrast, fits_width, visit
from tests.console.helpers import PASSWORD, console_user, make_failed_push

__all__ = ["org", "simulator"]
MIN_CONTRAST = 4.5
# Text the pages show, by what it is; each visible match of each selector is checked.
TEXT = {
    "heading": "h1",
    "muted text": ".muted",
    "link": "main a",
    "navigation": "header nav a",
    "badge": ".badge",
    "button": "main button",
    "table header": "th",
    "HRIS message": ".hris-message",
    "alert": ".alert",
    "chart axis": "svg .axis",
}


@pytest.fixture(params=["light", "dark"])
def scheme(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def context_options(viewport: str, scheme: str) -> dict[str, Any]:
    return {**VIEWPORTS[viewport], "color_scheme": scheme}


def _invite(runtime: Runtime, organization_id: str, application_id: str) -> None:
    with runtime.transaction() as session:
        application = session.get_one(Application, application_id)
        create_invitation(session, application, session.get_one(Organization, organization_id))


def _low_contrast(page: Page) -> dict[str, float]:
    low = {}
    for what, selector in TEXT.items():
        for index, locator in enumerate(page.locator(selector).all()[:10]):
            if not locator.is_visible():
                continue
            if selector.startswith("svg"):
                # SVG text is painted with its fill, not its colour: measure the fill.
                locator.evaluate("(el) => { el.style.color = getComputedStyle(el).fill; }")
            ratio = contrast(locator)
            if ratio < MIN_CONTRAST:
                low[f"{what} #{index}"] = round(ratio, 2)
    return low


def test_every_page_fits_and_reads_well(
    page: Page,
    viewport: str,
    scheme: str,
    runtime: Runtime,
    org: IssuedCredentials,
    ats: httpx.Client,
    simulator: Callable[[Any], str],
) -> None:
    failed = off_loop(make_failed_push, ats, runtime, org.organization_id, simulator)
    off_loop(_invite, runtime, org.organization_id, failed.application_id)
    email = off_loop(console_user, runtime, org.organization_id)
    visit(page, "/console/sign-in")
    pages = {"20-sign-in": None}
    low = {"20-sign-in": _low_contrast(page)}
    save(page, f"20-sign-in-{viewport}-{scheme}")
    browser_sign_in(page, email, PASSWORD)
    pages |= {
        "21-pushes": "/console/pushes",
        "22-push": f"/console/pushes/{failed.push_id}",
        "23-timeline": f"/console/candidates/{failed.candidate_id}",
        "24-connections": "/console/connections",
        "25-connection": f"/console/connections/{failed.connection_id}?application={failed.application_id}",
        "26-invitations": "/console/invitations",
        "27-charts": "/console/charts",
    }
    too_wide = []
    for name, path in pages.items():
        if path is None:
            continue
        assert visit(page, path) == 200, path
        # Measured against the screen's own width: a mobile browser widens its layout viewport to the content.
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > VIEWPORTS[viewport]["viewport"]["width"] or not fits_width(page):
            too_wide.append(f"{name} ({width} px)")
        low[name] = _low_contrast(page)
        save(page, f"{name}-{viewport}-{scheme}")
    assert not too_wide, f"wider than the {viewport} screen: {too_wide}"
    problems = {name: found for name, found in low.items() if found}
    assert not problems, f"{scheme}: text below {MIN_CONTRAST}:1: {problems}"


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
@pytest.mark.parametrize("scheme", ["light"], indirect=True)
def test_the_keyboard_reaches_the_navigation_with_a_visible_focus_ring(
    page: Page, runtime: Runtime, org: IssuedCredentials
) -> None:
    email = off_loop(console_user, runtime, org.organization_id)
    visit(page, "/console/sign-in")
    browser_sign_in(page, email, PASSWORD)
    expect(page.get_by_role("heading", name="Pushes")).to_be_visible()
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent.trim() === 'Connections'"):
            break
    else:
        raise AssertionError("the Connections link cannot be reached with Tab")
    ring = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth]; }"
    )
    assert ring[0] != "none"
    assert float(ring[1].removesuffix("px")) >= 2
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="HRIS connections")).to_be_visible()
