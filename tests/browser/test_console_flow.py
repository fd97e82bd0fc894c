"""The console end to end in headless Chromium: sign in, find a failed push, read the HRIS's message, fix the
connection's credentials, test the connection, retry, see the push succeed and the chart move; another
organization's push answers 404. Every page is saved as a screenshot (test-artifacts/console/<backend>/)."""

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
from tests.ats.hris_helpers import BAMBOO_CREDENTIALS, records, simulator
from tests.browser.console_helpers import browser_sign_in, new_organization, off_loop, org, reload_until, save
from tests.browser.helpers import fits_width, visit
from tests.console.helpers import PASSWORD, console_user, make_failed_push
from tests.hardening import sensitive

__all__ = ["org", "simulator"]


@pytest.fixture
def viewport() -> str:
    """This flow runs at the desktop size; tests/browser/test_console_pages.py covers the phone and dark mode."""
    return "desktop"


def _invite(runtime: Runtime, organization_id: str, application_id: str) -> None:
    with runtime.transaction() as session:
        application = session.get_one(Application, application_id)
        create_invitation(session, application, session.get_one(Organization, organization_id))


def test_fix_a_failed_push_from_the_console(
    page: Page,
    service: str,
    runtime: Runtime,
    org: IssuedCredentials,
    ats: httpx.Client,
    simulator: Callable[[Any], str],
) -> None:
    failed = off_loop(make_failed_push, ats, runtime, org.organization_id, simulator)
    off_loop(_invite, runtime, org.organization_id, failed.application_id)
    email = off_loop(console_user, runtime, org.organization_id)

    # Signed out, the console sends you to sign in, and back to where you were going.
    visit(page, "/console/pushes")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    save(page, "01-sign-in")
    browser_sign_in(page, email, PASSWORD)
    sensitive.SENSITIVE.add(
        "console session cookie", next(c["value"] for c in page.context.cookies() if c["name"] == "hb_console")
    )
    expect(page.get_by_role("heading", name="Pushes")).to_be_visible()
    save(page, "02-pushes")

    # Find the failed push with the filters.
    page.get_by_label("State").select_option("failed")
    page.get_by_label("Candidate").fill("lovelace")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    save(page, "03-pushes-failed")
    page.locator("tbody tr").first.get_by_role("link").first.click()

    # The push page shows the HRIS's own message and status.
    expect(page.locator("#push-state")).to_have_text("failed")
    message = page.locator("#push-message").text_content() or ""
    assert "BambooHR said:" in message
    assert "401" in page.locator("table").text_content()  # type: ignore[operator]
    save(page, "04-push-failed")

    # The chart before: one failed, none succeeded.
    visit(page, "/console/charts")
    expect(page.locator("#total-failed")).to_have_text("1")
    expect(page.locator("#total-succeeded")).to_have_text("0")
    save(page, "05-charts-before")

    # Fix the credentials on the connection page, then test the connection.
    visit(page, "/console/connections")
    expect(page.get_by_role("cell", name="BambooHR").first).to_be_visible()
    save(page, "06-connections")
    page.get_by_role("link", name="BambooHR").first.click()
    expect(page.get_by_label("apiKey")).to_have_value("")  # write-only: never shown back
    page.get_by_label("apiKey").fill(BAMBOO_CREDENTIALS["apiKey"])
    page.get_by_role("button", name="Save connection").click()
    expect(page.get_by_role("status").filter(has_text="The connection was saved.")).to_be_visible()
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#test-result")).to_contain_text("Connection works")
    page.get_by_label("Candidate").select_option(failed.application_id)
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-request")).to_contain_text("workEmail")
    save(page, "07-connection-fixed")

    # Retry from the push page; the new push succeeds and the remote id is shown.
    visit(page, f"/console/pushes/{failed.push_id}")
    page.get_by_role("button", name="Retry push").click()
    expect(page.get_by_role("status")).to_contain_text("A new push was queued")
    reload_until(page, "#push-state", "succeeded")
    remote_id = str(records(failed.bamboo_url)[0]["id"])
    expect(page.locator("#remote-id")).to_have_text(remote_id)
    save(page, "08-push-succeeded")

    # The chart moved: one succeeded now.
    visit(page, "/console/charts")
    expect(page.locator("#total-succeeded")).to_have_text("1")
    expect(page.locator("#total-failed")).to_have_text("1")
    save(page, "09-charts-after")

    # The hire's timeline, from the ATS record to the remote id.
    visit(page, f"/console/candidates/{failed.candidate_id}")
    timeline = page.locator("ol.timeline").text_content() or ""
    for step in ("Candidate created", "Offer created", "Assessment invitation sent", "failed", "succeeded", remote_id):
        assert step in timeline, step
    save(page, "10-timeline")

    # Invitations: resend makes a new link.
    visit(page, "/console/invitations")
    save(page, "11-invitations")
    page.get_by_role("button", name="Resend").first.click()
    expect(page.get_by_role("status")).to_contain_text("A new link was made")
    save(page, "12-invitation-resent")
    assert fits_width(page)

    # Another organization's push id is not found here.
    other = new_organization(runtime, "Other Org")
    with httpx.Client(base_url=service, auth=(other.api_key, ""), timeout=60) as other_ats:
        foreign = off_loop(make_failed_push, other_ats, runtime, other.organization_id, simulator)
    assert visit(page, f"/console/pushes/{foreign.push_id}") == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    save(page, "13-foreign-push-404")
