"""What the browser tests share: the candidate's status through the partner API, and reading what the page shows."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Locator, Page

from tests.conftest import PartnerSession


def status_of(partner: PartnerSession, candidate_id: str) -> dict[str, Any]:
    """The invitation as the partner API answers it (status, results)."""
    response = partner.client.get(f"/partner/v1.0/workday/candidates/{candidate_id}", headers=partner.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def visit(page: Page, url: str) -> int:
    """Open ``url`` as if typed into the address bar; the HTTP status of the page that ends up shown."""
    response = page.goto(url)
    assert response is not None, f"no response for {url}"
    return response.status


def fits_width(page: Page) -> bool:
    """Nothing on the page is wider than the viewport (no sideways scrolling on a phone)."""
    fits: bool = page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    return fits


def box(locator: Locator) -> dict[str, float]:
    found = locator.bounding_box()
    assert found is not None, f"{locator} is not displayed"
    return dict(found)


def lit_progress_segments(page: Page) -> int:
    """How many segments of the questions page's progress bar show the accent colour (answered questions)."""
    count: int = page.evaluate(
        """() => {
            const accent = getComputedStyle(document.querySelector('button[type=submit]')).backgroundColor;
            return [...document.querySelectorAll('.progress span')]
                .filter(s => getComputedStyle(s).backgroundColor === accent).length;
        }"""
    )
    return count


# WCAG 2 contrast of an element's text against the first opaque background behind it (page colours are opaque).
CONTRAST_JS = """(el) => {
    const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
    const lum = ([r, g, b]) => {
        const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    let bg = null;
    for (let node = el; node && !bg; node = node.parentElement) {
        const c = rgb(getComputedStyle(node).backgroundColor);
        if (c.length < 4 || c[3] === 1) bg = c.slice(0, 3);
    }
    if (!bg) bg = rgb(getComputedStyle(document.documentElement).backgroundColor);
    const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(bg)];
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def contrast(locator: Locator) -> float:
    ratio: float = locator.evaluate(CONTRAST_JS)
    return ratio
