"""Reading pushes for the console, through ``hris.operations`` (the CLI's reading too): the filtered list, one page
at a time, and everything one push's page shows. Scoped to an organization: another one's push is None here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from hirebridge.console.web import is_id
from hirebridge.core.models import Application, Candidate, Job
from hirebridge.errors import AppError
from hirebridge.hris import operations
from hirebridge.hris.models import HrisConnection, PushState

PAGE_SIZE = 25
MAX_QUERY_CHARS = 200
MAX_CURSOR_CHARS = 200


@dataclass(frozen=True)
class PushFilters:
    state: str = ""
    system: str = ""
    connection: str = ""
    since: date | None = None
    until: date | None = None
    candidate: str = ""
    cursor: str = ""

    def query_string(self, cursor: str = "") -> str:
        values = {
            "state": self.state,
            "system": self.system,
            "connection": self.connection,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            "candidate": self.candidate,
            "after": cursor,
        }
        return urlencode({k: v for k, v in values.items() if v})


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


def parse_filters(params: dict[str, str]) -> tuple[PushFilters, list[str]]:
    """Filters from the query string; unreadable values are dropped and named in the returned problems."""
    problems = []
    state = params.get("state", "")
    if state and state not in {s.value for s in PushState}:
        problems.append("State: not one of the listed states")
        state = ""
    connection = params.get("connection", "")
    if connection and not is_id(connection):
        problems.append("Connection: not one of the listed connections")
        connection = ""
    since, until = _day(params.get("since", "")), _day(params.get("until", ""))
    if params.get("since") and since is None:
        problems.append("From: not a date (YYYY-MM-DD)")
    if params.get("until") and until is None:
        problems.append("To: not a date (YYYY-MM-DD)")
    filters = PushFilters(
        state=state,
        system=params.get("system", "")[:40],
        connection=connection,
        since=since,
        until=until,
        candidate=params.get("candidate", "").strip()[:MAX_QUERY_CHARS],
        cursor=params.get("after", "")[:MAX_CURSOR_CHARS],
    )
    return filters, problems


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def list_pushes(
    session: Session, organization_id: str, filters: PushFilters
) -> tuple[list[operations.PushSummary], dict[str, str], str | None, list[str]]:
    """One page of pushes (newest first), their candidates' emails, the cursor of the next (older) page, and any
    problem with the filters (named as ``operations.list_pushes`` names it)."""
    try:
        page = operations.list_pushes(
            session,
            organization_id,
            state=filters.state or None,
            hris=filters.system or None,
            connection_id=filters.connection or None,
            since=_start_of(filters.since) if filters.since else None,
            until=_start_of(filters.until + timedelta(days=1)) if filters.until else None,
            candidate=filters.candidate or None,
            limit=PAGE_SIZE,
            cursor=filters.cursor or None,
        )
    except AppError as exc:
        problems = [f"{f.field}: {f.reason}" for f in exc.fields] or [exc.message]
        return [], {}, None, problems
    ids = {item.candidate_id for item in page.items}
    rows = session.execute(select(Candidate.id, Candidate.email).where(Candidate.id.in_(ids))).all()
    return page.items, {row.id: row.email or "" for row in rows}, page.next_cursor, []


def push_page(session: Session, organization_id: str, push_id: str) -> dict[str, Any] | None:
    """Everything the push page shows, or None when the push is not this organization's."""
    if not is_id(push_id):
        return None
    try:
        detail = operations.get_push(session, organization_id, push_id)
    except AppError:
        return None
    push = detail.push
    application = session.get(Application, push.application_id)
    job = session.get(Job, application.job_id) if application is not None else None
    person = session.get(Candidate, push.candidate_id)
    return {
        "push": push,
        "detail": detail,
        "candidate_email": person.email if person is not None and person.email else "",
        "job_title": job.title if job is not None else "",
        "retryable": push.state == PushState.FAILED.value,
        "cancellable": push.state == PushState.QUEUED.value,
    }


def connections_of(session: Session, organization_id: str) -> list[HrisConnection]:
    return list(
        session.scalars(
            select(HrisConnection)
            .where(HrisConnection.organization_id == organization_id)
            .order_by(HrisConnection.name, HrisConnection.id)
        )
    )
