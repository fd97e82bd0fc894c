"""A candidate takes the assessment in headless Chromium, on a desktop and a phone viewport: the landing page, start,
a partial submit and its errors, the full submit, the thank-you page, Back, reopening the completed link (and the
recruiters' report of it); and the links that cannot be used (expired, unknown). Each page state is saved as a
screenshot (see conftest)."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, Request, expect

from hirebridge.assessments.models import Invitation
from hirebridge.db.types import utcnow
from hirebridge.runtime import Runtime
from tests.browser.conftest import Shot
from tests.browser.console_helpers import off_loop
from tests.browser.helpers import box, fits_width, lit_progress_segments, status_of, visit
from tests.conftest import PartnerSession
from tests.partner.helpers import invite


def _heading(page: Page) -> str:
    return page.get_by_role("heading", level=1).inner_text()


def _choose(page: Page, question: int, label: str) -> None:
    page.locator(f"#question-{question}").get_by_label(label, exact=True).check()


def test_a_candidate_takes_the_assessment(page: Page, partner: PartnerSession, shot: Shot) -> None:
    invitation = invite(partner)
    link, candidate_id = invitation["invitation_link"], invitation["candidate_id"]

    assert visit(page, link) == 200
    assert _heading(page) == "Backend Engineer"
    expect(page.get_by_text("Hello Jane, you are invited to a short assessment")).to_be_visible()
    expect(page.get_by_text("6 questions", exact=True)).to_be_visible()
    start = page.get_by_role("button", name="Start the assessment")
    expect(start).to_be_visible()
    description = page.locator(".description")
    assert box(start)["y"] - (box(description)["y"] + box(description)["height"]) >= 24  # room to breathe
    shot("01-landing")
    assert fits_width(page)
    assert status_of(partner, candidate_id)["status"] == "opened"

    start.click()
    page.wait_for_url("**/questions")
    assert status_of(partner, candidate_id)["status"] == "started"
    expect(page.get_by_text("Question 1 of 6")).to_be_visible()
    expect(page.get_by_text("Question 6 of 6")).to_be_attached()
    assert lit_progress_segments(page) == 0
    shot("02-questions")
    shot("02-questions-as-seen", full_page=False)  # the first screen, with the sticky progress and submit bar
    expect(page.get_by_role("button", name="Submit my answers")).to_be_in_viewport()

    _choose(page, 1, "Agree")
    _choose(page, 2, "Agree")
    assert lit_progress_segments(page) == 2
    page.get_by_role("button", name="Submit my answers").click()
    page.wait_for_url("**/questions?check=1")
    alert = page.get_by_role("alert")
    expect(alert.get_by_role("heading")).to_have_text("4 questions still need an answer")
    expect(alert.get_by_role("link")).to_have_text([f"Question {n}: Please choose an answer." for n in (3, 4, 5, 6)])
    for n in (3, 4, 5, 6):
        expect(page.locator(f"#question-{n} .error")).to_have_text("Please choose an answer.")
    expect(page.locator("#question-1 .error")).to_have_count(0)
    expect(page.locator("#question-1").get_by_label("Agree", exact=True)).to_be_checked()  # kept
    assert lit_progress_segments(page) == 2
    shot("03-errors")
    assert fits_width(page)
    assert status_of(partner, candidate_id)["status"] == "started"

    page.goto(link)  # the candidate comes back later through the invitation link
    resume = page.get_by_role("link", name="Continue the assessment")
    expect(resume).to_be_visible()
    assert box(resume)["height"] >= 44  # a button, not a line of text
    assert resume.evaluate("el => getComputedStyle(el).backgroundColor") == start_colour(page)
    shot("04-landing-started")
    resume.click()
    page.wait_for_url("**/questions")
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.locator("#question-2").get_by_label("Agree", exact=True)).to_be_checked()
    for n in (3, 4, 5, 6):
        _choose(page, n, "Strongly agree")
    assert lit_progress_segments(page) == 6
    shot("05-all-answered")
    assert fits_width(page)

    page.get_by_role("button", name="Submit my answers").click()
    page.wait_for_url(link)
    assert _heading(page) == "Thank you, Jane"
    expect(page.get_by_text("Your assessment for Backend Engineer at Test Org is complete.")).to_be_visible()
    shot("06-thank-you")
    status = status_of(partner, candidate_id)
    assert status["status"] == "completed"
    assert [s["score_value"] for s in status["results"]["scores"]] == [83, 100]  # (75 + 75 + 100) / 300; all 100

    sent: list[Request] = []
    page.on("request", lambda request: sent.append(request))
    page.go_back()  # Post/Redirect/Get: Back shows a page again, it never sends the answers again
    assert _heading(page) == "Thank you, Jane"
    assert [r.method for r in sent]
    assert all(r.method == "GET" for r in sent)

    assert visit(page, link) == 200
    assert _heading(page) == "Thank you, Jane"
    expect(page.get_by_role("button")).to_have_count(0)
    shot("07-reopened")
    assert status_of(partner, candidate_id)["status"] == "completed"

    assert visit(page, status["results"]["report_profile_link"]) == 200  # the recruiters' page of the results
    assert _heading(page) == "Assessment report"
    expect(page.locator(".scores li")).to_have_text(["Role fit: 83 / 100", "Organizational fit: 100 / 100"])
    shot("11-report")


def start_colour(page: Page) -> str:
    """The accent colour of a primary button (read from the stylesheet, as the start button has it)."""
    colour: str = page.evaluate(
        """() => {
            const b = document.createElement('button');
            document.body.append(b);
            const c = getComputedStyle(b).backgroundColor;
            b.remove();
            return c;
        }"""
    )
    return colour


def test_an_expired_link_says_so(page: Page, partner: PartnerSession, runtime: Runtime, shot: Shot) -> None:
    invitation = invite(partner)

    def expire() -> None:
        with runtime.transaction() as session:
            session.get_one(Invitation, invitation["candidate_id"]).expires_at = utcnow() - timedelta(minutes=1)

    off_loop(expire)
    assert visit(page, invitation["invitation_link"]) == 410
    assert _heading(page) == "This invitation has expired"
    expect(page.get_by_text("please contact the recruiter who invited you")).to_be_visible()
    expect(page.get_by_role("button")).to_have_count(0)
    shot("08-expired")
    assert status_of(partner, invitation["candidate_id"])["status"] == "expired"


def test_an_unknown_link_says_so(page: Page, shot: Shot) -> None:
    assert visit(page, "/a/not-a-real-token") == 404
    assert _heading(page) == "Link not found"
    expect(page.get_by_text("Please check the link in your invitation.")).to_be_visible()
    shot("09-unknown")
