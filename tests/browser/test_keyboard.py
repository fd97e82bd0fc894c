"""The assessment with the keyboard alone: Tab, Enter and Space; no clicks, no arrow keys."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Shot
from tests.browser.helpers import status_of
from tests.conftest import PartnerSession
from tests.partner.helpers import invite

MAX_TABS = 12


def _tab_to(page: Page, selector: str) -> None:
    """Press Tab until the focused element matches ``selector`` (what a keyboard user does)."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} cannot be reached with Tab")


def _focus_is_visible(page: Page) -> bool:
    visible: bool = page.evaluate(
        """() => {
            const el = document.activeElement;
            const own = getComputedStyle(el);
            const row = el.closest('.option');
            const ring = (s) => s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
            return ring(own) || (row !== null && ring(getComputedStyle(row)));
        }"""
    )
    return visible


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_the_assessment_with_the_keyboard_alone(page: Page, partner: PartnerSession, shot: Shot) -> None:
    invitation = invite(partner)
    page.goto(invitation["invitation_link"])

    _tab_to(page, "button[type=submit]")
    assert _focus_is_visible(page)
    shot("keyboard-01-start-focused", full_page=False)
    page.keyboard.press("Enter")
    page.wait_for_url("**/questions")

    names: list[str] = page.evaluate(
        "() => [...new Set([...document.querySelectorAll('input[type=radio]')].map(r => r.name))]"
    )
    assert len(names) == 6
    for index, name in enumerate(names, start=1):
        _tab_to(page, f"input[type=radio][name='{name}']")  # Tab enters each group at its first option
        assert _focus_is_visible(page)
        if index == 1:
            shot("keyboard-02-option-focused", full_page=False)
        page.keyboard.press("Space")
        expect(page.locator(f"input[name='{name}']").first).to_be_checked()
    _tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(invitation["invitation_link"])

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, Jane")
    status = status_of(partner, invitation["candidate_id"])
    assert status["status"] == "completed"
    assert [s["score_value"] for s in status["results"]["scores"]] == [0, 0]  # the first option everywhere
