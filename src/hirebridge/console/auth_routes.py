"""Signing in and out of the console.

Signing in is rate limited like every other authentication (``authlimit``): failures are counted per email and per
source address, and once either reaches its limit the page answers 429 with ``Retry-After`` before the password is
checked. The sign-in form carries a token bound to a short-lived pre-session cookie (login CSRF), and is refused
when the browser says it came from another site.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from hirebridge import authlimit
from hirebridge.assessments import forms
from hirebridge.console import sessions, users, web
from hirebridge.web import get_runtime

router = APIRouter(include_in_schema=False)
PRE_COOKIE = "hb_console_pre"


def _sign_in_token(signing_key: str, nonce: str) -> str:
    return hmac.new(signing_key.encode(), f"console-sign-in:{nonce}".encode(), hashlib.sha256).hexdigest()[:40]


def _safe_next(value: str) -> str:
    """Only a console path: never another site (``//host``) or a scheme."""
    if value.startswith("/console") and not value.startswith("//") and "\\" not in value and len(value) <= 1000:
        return value
    return "/console/pushes"


def _form(request: Request, *, status: int = 200, error: str = "", email: str = "", next_url: str = "") -> Response:
    runtime = get_runtime(request)
    nonce = request.cookies.get(PRE_COOKIE, "")
    if not (20 <= len(nonce) <= 64 and nonce.isascii()):
        nonce = secrets.token_urlsafe(24)
    response = web.page(
        "sign_in.html",
        None,
        status,
        error=error,
        email=email,
        next_url=_safe_next(next_url or request.query_params.get("next", "")),
        token=_sign_in_token(runtime.signing_key, nonce),
    )
    secure = sessions.is_https(request, runtime.public_url)
    response.set_cookie(PRE_COOKIE, nonce, max_age=3600, path="/console", httponly=True, secure=secure, samesite="lax")
    return response


def _too_many(wait: int) -> Response:
    return web.message(
        None,
        429,
        "Too many attempts",
        f"Too many failed sign-ins for this email or from this address. Try again in {wait} seconds.",
        **{"Retry-After": str(wait)},
    )


def _count_failure(limiter: authlimit.AuthFailureLimiter, credential: str, address: str | None) -> int | None:
    """Count a failed sign-in; the seconds to wait when it went beyond the limit (answered 429), else None.

    A limiter shared through the database has ``count_failure`` (it answers the wait instead of raising the API's
    429 error); the per-process one only counts."""
    count = getattr(limiter, "count_failure", None)
    if count is not None:
        wait = count(credential, address)
        return int(wait) if wait is not None else None
    limiter.failed(credential, address)
    return None


@router.get("/console/sign-in")
def sign_in_page(request: Request) -> Response:
    return _form(request)


@router.post("/console/sign-in")
async def sign_in(request: Request) -> Response:
    runtime = get_runtime(request)
    form = await forms.read_form(request, runtime.public_url)
    if isinstance(form, forms.Refusal):
        return web.message(None, form.status, form.heading, form.message)
    return await run_in_threadpool(_sign_in, request, form)


def _sign_in(request: Request, form: dict[str, str]) -> Response:
    runtime = get_runtime(request)
    email = users.normalize_email(form.get("email", ""))[: users.MAX_EMAIL_LENGTH]
    nonce = request.cookies.get(PRE_COOKIE, "")
    if not nonce or not web.csrf_ok(form, _sign_in_token(runtime.signing_key, nonce)):
        return _form(request, status=403, error="The form had expired; please sign in again.", email=email)
    limiter = authlimit.limiter(runtime)
    address = authlimit.client_address(request)
    wait = limiter.blocked_for(f"console:{email}", address)
    if wait is not None:
        return _too_many(wait)
    with runtime.transaction() as session:
        user = users.authenticate(session, email, form.get("password", ""))
        token = sessions.start_session(session, user) if user is not None else None
    if token is None:
        wait = _count_failure(limiter, f"console:{email}", address)
        if wait is not None:
            return _too_many(wait)
        return _form(
            request, status=401, error="The email or password is not right.", email=email, next_url=form.get("next", "")
        )
    response = web.redirect(_safe_next(form.get("next", "")))
    sessions.set_cookie(response, token, secure=sessions.is_https(request, runtime.public_url))
    response.delete_cookie(PRE_COOKIE, path="/console")
    return response


@router.post("/console/sign-out")
async def sign_out(request: Request) -> Response:
    def action(_form: dict[str, str], who: sessions.Signed) -> Response:
        runtime = get_runtime(request)
        with runtime.transaction() as session:
            sessions.end_session(session, who.session_id)
        response = web.redirect("/console/sign-in")
        sessions.clear_cookie(response, secure=sessions.is_https(request, runtime.public_url))
        return response

    return await web.handle_post(request, action)
