"""List pagination and incremental sync over real HTTP: every row exactly once across pages, a syncToken on the
last page that later returns only what changed, and cursors that cannot be forged, moved or reused elsewhere."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import update

from hirebridge.core.models import Application, Candidate
from hirebridge.db.types import utcnow
from hirebridge.orgs.service import IssuedCredentials, create_organization
from hirebridge.runtime import Runtime
from tests.ats.helpers import ats, call, client_for, error, make_candidate, make_job, results

__all__ = ["ats"]


def _all_pages(api: httpx.Client, endpoint: str, body: dict[str, Any]) -> tuple[list[dict[str, Any]], str, int]:
    """Every item, the final syncToken and the number of pages."""
    items: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        answer = call(api, endpoint, {**body, **({"cursor": cursor} if cursor else {})})
        assert answer["success"] is True, answer
        pages += 1
        items += answer["results"]
        if not answer["moreDataAvailable"]:
            assert "nextCursor" not in answer
            return items, answer["syncToken"], pages
        assert "syncToken" not in answer
        cursor = answer["nextCursor"]


def _backdate(runtime: Runtime, model: Any, organization_id: str) -> None:
    """Make the rows so far look an hour old, as if a previous sync had run long ago."""
    past = utcnow() - timedelta(hours=1)
    with runtime.transaction() as session:
        session.execute(update(model).where(model.organization_id == organization_id).values(updated_at=past))


def test_candidates_across_pages_then_incremental_sync(
    ats: httpx.Client, org: IssuedCredentials, runtime: Runtime
) -> None:
    created = [make_candidate(ats, name=f"Person {i}")["id"] for i in range(5)]
    items, sync_token, pages = _all_pages(ats, "candidate.list", {"limit": 2})
    assert pages == 3
    assert [c["id"] for c in items] == created  # oldest first, each exactly once

    _backdate(runtime, Candidate, org.organization_id)
    items, _, _ = _all_pages(ats, "candidate.list", {"limit": 2, "syncToken": sync_token})
    assert items == []

    newcomer = make_candidate(ats, name="New Person")
    items, next_token, _ = _all_pages(ats, "candidate.list", {"limit": 2, "syncToken": sync_token})
    assert [c["id"] for c in items] == [newcomer["id"]]
    assert next_token != sync_token


def test_rows_created_while_paging_are_not_skipped(ats: httpx.Client) -> None:
    first = [make_candidate(ats, name=f"Early {i}")["id"] for i in range(3)]
    page1 = call(ats, "candidate.list", {"limit": 2})
    late = make_candidate(ats, name="Late")["id"]
    page2 = call(ats, "candidate.list", {"limit": 2, "cursor": page1["nextCursor"]})
    assert [c["id"] for c in page1["results"] + page2["results"]] == [*first, late]
    assert page2["moreDataAvailable"] is False


def test_application_sync_returns_status_changes(ats: httpx.Client, org: IssuedCredentials, runtime: Runtime) -> None:
    job = make_job(ats)
    apps = [
        results(ats, "application.create", {"candidateId": make_candidate(ats)["id"], "jobId": job["id"]})
        for _ in range(3)
    ]
    items, token, _ = _all_pages(ats, "application.list", {"jobId": job["id"], "limit": 100})
    assert len(items) == 3
    _backdate(runtime, Application, org.organization_id)
    results(ats, "application.changeStatus", {"applicationId": apps[1]["id"], "status": "Lead"})
    items, _, _ = _all_pages(ats, "application.list", {"jobId": job["id"], "syncToken": token})
    assert [(a["id"], a["status"]) for a in items] == [(apps[1]["id"], "Lead")]


def test_limit_is_bounded(ats: httpx.Client) -> None:
    for limit in (0, 101, "ten"):
        info = error(ats, "candidate.list", {"limit": limit})
        assert info["code"] == "invalid_input"
        assert info["meta"]["fields"][0]["field"] == "limit"


def test_tampered_cursor_is_refused(ats: httpx.Client) -> None:
    for _ in range(3):
        make_candidate(ats)
    cursor = call(ats, "candidate.list", {"limit": 1})["nextCursor"]
    body, _, tag = cursor.partition(".")
    for forged in (cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB"), body + "x." + tag, "garbage", "a.b"):
        info = error(ats, "candidate.list", {"limit": 1, "cursor": forged})
        assert info["code"] == "invalid_input"
        assert info["meta"]["fields"][0]["field"] == "cursor"
    info = error(ats, "candidate.list", {"syncToken": cursor})
    assert info["meta"]["fields"][0]["field"] == "syncToken"


def test_cursor_is_bound_to_endpoint_filters_and_organization(
    ats: httpx.Client, client: httpx.Client, runtime: Runtime
) -> None:
    job = make_job(ats)
    for _ in range(2):
        results(ats, "application.create", {"candidateId": make_candidate(ats)["id"], "jobId": job["id"]})
    cursor = call(ats, "application.list", {"limit": 1, "jobId": job["id"]})["nextCursor"]
    assert call(ats, "application.list", {"limit": 1, "jobId": job["id"], "cursor": cursor})["success"] is True

    info = error(ats, "application.list", {"limit": 1, "cursor": cursor})
    assert "other filters" in info["meta"]["fields"][0]["reason"]
    info = error(ats, "candidate.list", {"limit": 1, "cursor": cursor})
    assert info["meta"]["fields"][0]["field"] == "cursor"
    with runtime.transaction() as session:
        other = create_organization(session, "Other Org")
    with client_for(client, other.api_key) as theirs:
        info = error(theirs, "application.list", {"limit": 1, "jobId": job["id"], "cursor": cursor})
        assert info["meta"]["fields"][0]["field"] == "cursor"
