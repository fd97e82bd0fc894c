"""In Chromium, what another site can and cannot do with a candidate's link: its page cannot send our forms (even
with a copy of the form token), and following a link from our pages to it sends no Referer with the link's token.

The other site is a small app on ``localhost`` (another site than the service's ``127.0.0.1``), on its own socket.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from playwright.sync_api import Page, expect

from tests.assessments.forms import Forms
from tests.browser.conftest import Shot
from tests.browser.helpers import status_of, visit
from tests.conftest import PartnerSession
from tests.partner.helpers import invite
from tests.support.servers import serve


@dataclass
class OtherSite:
    url: str
    forged: dict[str, str] = field(default_factory=dict)  # the form it shows: action and hidden fields
    referers: list[str | None] = field(default_factory=list)  # the Referer of every page it was asked for


@pytest.fixture
def other_site() -> Iterator[OtherSite]:
    app = FastAPI()
    site = OtherSite(url="")

    @app.get("/")
    def forged_form(request: Request) -> HTMLResponse:
        site.referers.append(request.headers.get("referer"))
        fields = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in site.forged.items()
            if k != "action"
        )
        action = html.escape(site.forged.get("action", ""))
        return HTMLResponse(f'<form method="post" action="{action}">{fields}<button>Win a prize</button></form>')

    with serve(app) as base_url:
        site.url = base_url.replace("127.0.0.1", "localhost")
        yield site


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_another_sites_page_cannot_start_the_assessment(
    page: Page, partner: PartnerSession, service: str, other_site: OtherSite, shot: Shot
) -> None:
    invitation = invite(partner)
    landing = partner.client.get(invitation["invitation_link"])  # the attacker has the link and read the page
    (start,) = Forms(landing.text).forms
    other_site.forged = {"action": service + start["action"], **start["hidden"]}

    assert visit(page, other_site.url) == 200
    page.get_by_role("button", name="Win a prize").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.get_by_text("This form can only be sent from its own page.")).to_be_visible()
    shot("10-foreign-post-refused")
    assert status_of(partner, invitation["candidate_id"])["status"] == "opened"  # not started


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_leaving_our_pages_sends_no_referer(page: Page, partner: PartnerSession, other_site: OtherSite) -> None:
    link = invite(partner)["invitation_link"]
    assert visit(page, link) == 200
    page.evaluate("(url) => { window.location.href = url; }", other_site.url)  # as a link on our page would
    page.wait_for_url(other_site.url + "/")
    assert other_site.referers == [None]
    token = link.rsplit("/", 1)[1]
    assert token not in page.evaluate("() => document.referrer")
