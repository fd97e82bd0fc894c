"""What every console page shares: templates, security headers, who is signed in, and reading a POSTed form.

A POST is refused (403) when the browser says it came from another site (``assessments.forms.is_foreign``: the
``Sec-Fetch-Site`` and ``Origin`` checks), and when its ``csrf`` field is not the signed-in session's CSRF token.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from hirebridge.assessments import forms
from hirebridge.console import sessions
from hirebridge.runtime import Runtime
from hirebridge.web import get_runtime

CSRF_FIELD = "csrf"
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def is_id(value: str) -> bool:
    """An id as the tables store them (a UUID); anything else names no record (answered 404, never a 500)."""
    if len(value) > 36:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def human_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value is not None else "—"


_templates.filters["when"] = human_time


def page(template: str, who: sessions.Signed | None, status: int = 200, **context: Any) -> HTMLResponse:
    html = _templates.get_template(template).render(who=who, csrf_field=CSRF_FIELD, **context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def message(who: sessions.Signed | None, status: int, heading: str, text: str, **headers: str) -> HTMLResponse:
    response = page("message.html", who, status, heading=heading, text=text)
    response.headers.update(headers)
    return response


def not_found(who: sessions.Signed | None, what: str = "page") -> HTMLResponse:
    return message(who, 404, "Not found", f"There is no such {what} in your organization.")


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)


def to_sign_in(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return redirect(f"/console/sign-in?next={quote(target, safe='')}")


@dataclass
class Visit:
    """A request of a signed-in user: the runtime, an open transaction and who it is."""

    runtime: Runtime
    session: Session
    who: sessions.Signed


@contextmanager
def visit(request: Request) -> Iterator[Visit | Response]:
    """``with visit(request) as v``: a Visit, or the redirect to the sign-in page to answer instead."""
    runtime = get_runtime(request)
    with runtime.transaction() as session:
        who = sessions.signed_in(session, request)
        if who is None:
            yield to_sign_in(request)
            return
        yield Visit(runtime, session, who)


def csrf_ok(form: dict[str, str], expected: str) -> bool:
    sent = form.get(CSRF_FIELD, "")
    return len(sent) <= 100 and hmac.compare_digest(sent.encode("utf-8", "replace"), expected.encode())


PostAction = Callable[[dict[str, str], sessions.Signed], Response]


async def handle_post(request: Request, action: PostAction) -> Response:
    """Read the form on the event loop, then check it and run ``action(form, who)`` in a worker thread (database
    work never runs on the loop). Refused: a foreign form (403), no session (to the sign-in page), a bad CSRF
    token (403)."""
    runtime = get_runtime(request)
    form = await forms.read_form(request, runtime.public_url)
    return await run_in_threadpool(_checked, request, form, action)


def _checked(request: Request, form: dict[str, str] | forms.Refusal, action: PostAction) -> Response:
    runtime = get_runtime(request)
    with runtime.transaction() as session:
        who = sessions.signed_in(session, request)
    if isinstance(form, forms.Refusal):
        return message(who, form.status, form.heading, form.message)
    if who is None:
        return to_sign_in(request)
    if not csrf_ok(form, who.csrf_token):
        return message(
            who, 403, "Form expired", "This form is out of date or did not come from the console. Reload the page."
        )
    return action(form, who)
