"""Text stays readable in the light and the dark colour scheme: WCAG contrast of at least 4.5:1 for the muted
text, the errors, the links and the buttons of the landing and the questions pages."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import VIEWPORTS, Shot
from tests.browser.helpers import contrast
from tests.conftest import PartnerSession
from tests.partner.helpers import invite

MIN_CONTRAST = 4.5


@pytest.fixture(params=["light", "dark"])
def scheme(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def context_options(viewport: str, scheme: str) -> dict[str, Any]:
    return {**VIEWPORTS[viewport], "color_scheme": scheme}


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_text_is_readable_in_both_colour_schemes(page: Page, partner: PartnerSession, scheme: str, shot: Shot) -> None:
    page.goto(invite(partner)["invitation_link"])
    checked = {
        "organization line (muted)": page.locator(".org"),
        "text before the start button (muted)": page.locator(".actions p"),
        "facts": page.locator(".facts li").first,
        "start button": page.get_by_role("button", name="Start the assessment"),
    }
    ratios = {what: contrast(locator) for what, locator in checked.items()}
    shot(f"{scheme}-01-landing", full_page=False)

    page.get_by_role("button", name="Start the assessment").click()
    page.wait_for_url("**/questions")
    page.get_by_role("button", name="Submit my answers").click()
    page.wait_for_url("**/questions?check=1")
    checked = {
        "question number (muted)": page.locator(".question .step").first,
        "answered count (muted)": page.locator(".answered"),
        "error next to a question": page.locator(".question .error").first,
        "error summary link": page.get_by_role("alert").get_by_role("link").first,
        "option label": page.locator(".option").first,
        "submit button": page.get_by_role("button", name="Submit my answers"),
    }
    ratios |= {what: contrast(locator) for what, locator in checked.items()}
    shot(f"{scheme}-03-errors")

    low = {what: round(ratio, 2) for what, ratio in ratios.items() if ratio < MIN_CONTRAST}
    assert not low, f"{scheme} scheme: text below {MIN_CONTRAST}:1 contrast: {low}"
