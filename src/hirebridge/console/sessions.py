"""Console sign-in sessions: a random cookie value, stored only as its SHA-256 digest, with a fixed lifetime.

The cookie is ``HttpOnly``, ``SameSite=Lax`` and ``Secure`` when the request came over HTTPS or the service's public
URL is ``https``. Each session has its own CSRF token, which every console form carries (see ``csrf``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request, Response
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hirebridge.console.models import ConsoleSession, ConsoleUser
from hirebridge.db.types import utcnow

COOKIE = "hb_console"
LIFETIME = timedelta(hours=8)
MAX_COOKIE_CHARS = 100


@dataclass(frozen=True)
class Signed:
    """Who is signed in: what every console page needs."""

    session_id: str
    user_id: str
    organization_id: str
    email: str
    csrf_token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: ConsoleUser) -> str:
    """A new session for ``user``; returns the cookie value (shown only here)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < now))
    session.add(
        ConsoleSession(
            user_id=user.id,
            organization_id=user.organization_id,
            token_sha256=_digest(token),
            csrf_token=secrets.token_urlsafe(24),
            created_at=now,
            expires_at=now + LIFETIME,
        )
    )
    session.flush()
    return token


def signed_in(session: Session, request: Request) -> Signed | None:
    token = request.cookies.get(COOKIE, "")
    if not token or len(token) > MAX_COOKIE_CHARS:
        return None
    row = session.execute(
        select(ConsoleSession, ConsoleUser)
        .join(ConsoleUser, ConsoleUser.id == ConsoleSession.user_id)
        .where(ConsoleSession.token_sha256 == _digest(token), ConsoleSession.expires_at > utcnow())
    ).first()
    if row is None:
        return None
    found, user = row
    return Signed(found.id, user.id, found.organization_id, user.email, found.csrf_token)


def end_session(session: Session, session_id: str) -> None:
    session.execute(delete(ConsoleSession).where(ConsoleSession.id == session_id))


def end_all_sessions(session: Session, user_id: str) -> None:
    session.execute(delete(ConsoleSession).where(ConsoleSession.user_id == user_id))


def is_https(request: Request, public_url: str) -> bool:
    return request.url.scheme == "https" or public_url.lower().startswith("https://")


def set_cookie(response: Response, token: str, *, secure: bool) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(LIFETIME.total_seconds()),
        path="/console",
        httponly=True,
        secure=secure,
        samesite="lax",
    )


def clear_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(COOKIE, path="/console", httponly=True, secure=secure, samesite="lax")
