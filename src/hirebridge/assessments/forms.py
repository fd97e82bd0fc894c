"""Reading the candidate pages' forms: sent from our own pages only, bounded, and carrying the page's form token.

A POST is refused (403) when the browser says it comes from another page than ours:

- ``Sec-Fetch-Site`` (set by the browser; a page's script cannot forge it) other than ``same-origin`` or ``none``
  (``none``: the user sent it, e.g. from the address bar);
- an ``Origin`` other than our own: the service's public URL, or the host the request was sent to. ``Origin: null``
  (what a sandboxed frame, a ``data:`` page or a page with ``Referrer-Policy: no-referrer`` sends) passes only
  together with ``Sec-Fetch-Site: same-origin``.

The pages send ``Referrer-Policy: same-origin``, so a browser's same-origin form POST carries our origin, and a
request to another site carries no Referer at all (the link's token stays with us). A request with neither header
(a non-browser client) passes this check: the token in the link is the credential. As a second factor every form
carries ``form.token``, signed with the service's key for that invitation, which only a reader of our page has (the
same-origin policy keeps other sites from reading it). The field name has a dot, which no question id can have.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from fastapi import Request

MAX_FORM_BYTES = 16 * 1024
MAX_FIELDS = 200
FORM_TOKEN_FIELD = "form.token"  # noqa: S105 (a field name, not a secret)
BROWSER_OWN_SITE = {"same-origin", "none"}


@dataclass(frozen=True)
class Refusal:
    """Why a form is not read: the status and the words for the page the candidate sees."""

    status: int
    heading: str
    message: str


FOREIGN = Refusal(403, "Not allowed", "This form can only be sent from its own page.")
STALE = Refusal(
    403,
    "Please start again from your invitation",
    "This form is out of date or did not come from your assessment page. "
    "Please open the link in your invitation again; nothing you sent before is lost.",
)


def form_token(signing_key: str, invitation_id: str) -> str:
    """The hidden field every form of this invitation carries (see the module docstring)."""
    return hmac.new(signing_key.encode(), f"assessment-form:{invitation_id}".encode(), hashlib.sha256).hexdigest()[:32]


def has_valid_token(form: dict[str, str], signing_key: str, invitation_id: str) -> bool:
    sent = form.get(FORM_TOKEN_FIELD, "")
    return len(sent) <= 64 and hmac.compare_digest(sent.encode(), form_token(signing_key, invitation_id).encode())


def _netloc(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    try:
        port = parts.port
    except ValueError:
        return ""
    return host if port in (None, default) else f"{host}:{port}"


def _own_origins(request: Request, public_url: str) -> set[str]:
    own = {_netloc(f"http://{request.headers.get('host', '')}")}
    if public_url:
        own.add(_netloc(public_url))
    own.discard("")
    return own


def is_foreign(request: Request, public_url: str) -> bool:
    """True when the browser tells us the form was sent from a page that is not ours."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site.lower() not in BROWSER_OWN_SITE:
        return True
    origin = request.headers.get("origin")
    if origin is None:
        return False
    if origin.strip().lower() == "null":
        return fetch_site is None or fetch_site.lower() != "same-origin"
    return _netloc(origin) not in _own_origins(request, public_url)


async def read_form(request: Request, public_url: str) -> dict[str, str] | Refusal:
    """The posted form's fields, or why it is refused (foreign origin 403, not a form 415, too big 413, 400)."""
    if is_foreign(request, public_url):
        return FOREIGN
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return Refusal(415, "Unsupported form", "Please send the form from the assessment page.")
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_FORM_BYTES:
            return Refusal(413, "Too much data", "The form sent more data than any answer needs.")
    try:
        return dict(parse_qsl(raw.decode("utf-8"), max_num_fields=MAX_FIELDS))
    except (UnicodeDecodeError, ValueError):
        return Refusal(400, "Unreadable form", "The form could not be read. Please try again from the page.")
