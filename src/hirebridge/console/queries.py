"""Reading pushes for the console: the filtered, paginated list and one push's page, scoped to an organization."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hirebridge.connectors.registry import display_name
from hirebridge.console.web import is_id
from hirebridge.core.models import Application, Candidate, Job
from hirebridge.hris.models import HrisConnection, HrisPush, PushState
from hirebridge.hris.push import worker_lost_message

PAGE_SIZE = 25
MAX_PAGE = 2000
MAX_QUERY_CHARS = 200


@dataclass(frozen=True)
class PushFilters:
    state: str = ""
    system: str = ""
    connection: str = ""
    since: date | None = None
    until: date | None = None
    candidate: str = ""
    page: int = 1

    def query_string(self, page: int | None = None) -> str:
        from urllib.parse import urlencode

        values = {
            "state": self.state,
            "system": self.system,
            "connection": self.connection,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            "candidate": self.candidate,
            "page": str(page or self.page),
        }
        return urlencode({k: v for k, v in values.items() if v and not (k == "page" and v == "1")})


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None


def parse_filters(params: dict[str, str]) -> tuple[PushFilters, list[str]]:
    """Filters from the query string; unreadable values are dropped and named in the returned problems."""
    problems = []
    connection = params.get("connection", "")
    if connection and not is_id(connection):
        problems.append("Connection: not one of the listed connections")
        connection = ""
    state = params.get("state", "")
    if state and state not in {s.value for s in PushState}:
        problems.append("State: not one of the listed states")
        state = ""
    since, until = _day(params.get("since", "")), _day(params.get("until", ""))
    if params.get("since") and since is None:
        problems.append("From: not a date (YYYY-MM-DD)")
    if params.get("until") and until is None:
        problems.append("To: not a date (YYYY-MM-DD)")
    raw_page = params.get("page", "1")
    page = int(raw_page) if raw_page.isdigit() and len(raw_page) <= 5 else 1
    filters = PushFilters(
        state=state,
        system=params.get("system", "")[:40],
        connection=connection,
        since=since,
        until=until,
        candidate=params.get("candidate", "").strip()[:MAX_QUERY_CHARS],
        page=min(max(page, 1), MAX_PAGE),
    )
    return filters, problems


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def list_pushes(session: Session, organization_id: str, filters: PushFilters) -> tuple[list[dict[str, Any]], bool]:
    """One page of pushes, newest first, and whether another page follows."""
    query = (
        select(HrisPush, HrisConnection, Candidate)
        .join(HrisConnection, HrisConnection.id == HrisPush.connection_id)
        .join(Candidate, Candidate.id == HrisPush.candidate_id)
        .where(HrisPush.organization_id == organization_id)
    )
    if filters.state:
        query = query.where(HrisPush.state == PushState(filters.state))
    if filters.system:
        query = query.where(HrisConnection.system == filters.system)
    if filters.connection:
        query = query.where(HrisPush.connection_id == filters.connection)
    if filters.since:
        query = query.where(HrisPush.created_at >= _start_of(filters.since))
    if filters.until:
        query = query.where(HrisPush.created_at < _start_of(filters.until + timedelta(days=1)))
    if filters.candidate:
        pattern = "%" + filters.candidate.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        full_name = func.lower(func.coalesce(Candidate.first_name, "") + " " + func.coalesce(Candidate.last_name, ""))
        query = query.where(
            or_(full_name.like(pattern, escape="\\"), func.lower(Candidate.email).like(pattern, escape="\\"))
        )
    rows = session.execute(
        query.order_by(HrisPush.created_at.desc(), HrisPush.id.desc())
        .offset((filters.page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    ).all()
    items = [_row(session, push, connection, person) for push, connection, person in rows[:PAGE_SIZE]]
    return items, len(rows) > PAGE_SIZE


def _row(session: Session, push: HrisPush, connection: HrisConnection, person: Candidate) -> dict[str, Any]:
    return {
        "id": push.id,
        "state": PushState(push.state).value,
        "system": connection.system,
        "system_name": display_name(connection.system),
        "connection_id": connection.id,
        "connection_name": connection.name,
        "candidate_id": person.id,
        "candidate_name": person.name or "(no name)",
        "candidate_email": person.email or "",
        "operation": push.operation,
        "remote_id": push.remote_id,
        "attempts": push.attempts,
        "message": worker_lost_message(session, push) or push.error_message,
        "created_at": push.created_at,
        "finished_at": push.finished_at,
    }


def push_page(session: Session, organization_id: str, push_id: str) -> dict[str, Any] | None:
    """Everything the push page shows, or None when the push is not this organization's."""
    if not is_id(push_id):
        return None
    push = session.get(HrisPush, push_id)
    if push is None or push.organization_id != organization_id:
        return None
    connection = session.get_one(HrisConnection, push.connection_id)
    person = session.get_one(Candidate, push.candidate_id)
    application = session.get_one(Application, push.application_id)
    job = session.get(Job, application.job_id)
    return {
        "push": _row(session, push, connection, person),
        "outcome_unknown": push.outcome_unknown,
        "requested_by": push.requested_by,
        "job_title": job.title if job is not None else "",
        "application_id": application.id,
        "retryable": push.state == PushState.FAILED,
        "cancellable": push.state == PushState.QUEUED,
    }


def connections_of(session: Session, organization_id: str) -> list[HrisConnection]:
    return list(
        session.scalars(
            select(HrisConnection)
            .where(HrisConnection.organization_id == organization_id)
            .order_by(HrisConnection.name, HrisConnection.id)
        )
    )
