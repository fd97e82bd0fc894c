"""Cursor pagination and incremental sync for the ATS list endpoints, as Ashby describes them.

A list request carries ``limit`` (1..100), an optional ``cursor`` (the previous page's ``nextCursor``) and an optional
``syncToken`` (the last page's ``syncToken`` of an earlier full or incremental sync). Pages are keyset pages ordered
by ``(createdAt, id)``, so rows created while a client pages are never skipped or repeated. The last page
(``moreDataAvailable: false``) carries a ``syncToken``; sent back later, the listing returns only the rows updated
since that sync began (minus ``SYNC_OVERLAP``, so a row whose transaction was still committing is not missed; a row
may therefore come twice, which clients handle by upserting on ``id``).

``createdAfter`` (epoch milliseconds, Ashby's) keeps only rows created after that moment; it is one of the filters a
cursor or sync token is bound to. Times are compared at the millisecond, the precision the API answers with: an
object whose ``createdAt`` is the value given is not "after" it. ``epoch_ms`` and ``after_ms`` turn such values into
bounds for the endpoints' own filters (``job.list``'s ``openedAfter``...).

Cursors and sync tokens are signed (``envelope.encode_cursor``) and bound to the endpoint, the organization and the
request's filters: sent with other filters, to another endpoint or by another organization, they are refused with
``invalid_input`` naming the field.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from hirebridge.ats.envelope import ListParams, decode_cursor, encode_cursor, invalid_input, page
from hirebridge.db.types import utcnow

SYNC_OVERLAP = timedelta(seconds=5)
T = TypeVar("T")


@dataclass(frozen=True)
class Listing:
    """What one list request asks for, after its cursor or sync token has been checked."""

    endpoint: str
    organization_id: str
    filters_digest: str
    limit: int
    started_at: datetime
    since: datetime | None = None
    after: tuple[datetime, str] | None = None
    created_after: datetime | None = None


def _digest(filters: dict[str, Any]) -> str:
    canonical = json.dumps(filters, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:24]


def _time(value: Any, field: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise invalid_input(field, "is not a value this API issued") from None
    if parsed.tzinfo is None:
        raise invalid_input(field, "is not a value this API issued")
    return parsed


def _bound(data: dict[str, Any], endpoint: str, organization_id: str, digest: str, field: str) -> None:
    if data.get("e") != endpoint or data.get("o") != organization_id:
        raise invalid_input(field, f"was not issued by {endpoint} for this organization")
    if data.get("f") != digest:
        raise invalid_input(field, "was issued for a request with other filters; send the same filters with it")


def epoch_ms(value: int | None) -> datetime | None:
    """A time given as milliseconds since the Unix epoch (Ashby's ``createdAfter``, ``openedAfter``...)."""
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=value) if value is not None else None


def after_ms(value: int | None) -> datetime | None:
    """The first moment that is after ``value`` (epoch ms) at millisecond precision: compare with ``>=``."""
    return epoch_ms(value + 1) if value is not None else None


def start(
    secret: str, endpoint: str, organization_id: str, params: ListParams, filters: dict[str, Any] | None = None
) -> Listing:
    """The listing ``params`` describe; ``invalid_input`` for a cursor or token that is forged or misplaced."""
    filters = dict(filters or {})
    if params.createdAfter is not None:
        filters["createdAfter"] = params.createdAfter
    digest = _digest(filters)
    created_after = after_ms(params.createdAfter)
    if params.cursor:
        data = decode_cursor(secret, params.cursor, purpose="cursor", field="cursor")
        _bound(data, endpoint, organization_id, digest, "cursor")
        since = _time(data["s"], "cursor") if data.get("s") else None
        after = (_time(data.get("t"), "cursor"), str(data.get("i")))
        started = _time(data.get("b"), "cursor")
        return Listing(endpoint, organization_id, digest, params.limit, started, since, after, created_after)
    since = None
    if params.syncToken:
        data = decode_cursor(secret, params.syncToken, purpose="sync", field="syncToken")
        _bound(data, endpoint, organization_id, digest, "syncToken")
        since = _time(data.get("s"), "syncToken")
    return Listing(endpoint, organization_id, digest, params.limit, utcnow(), since, None, created_after)


def apply(listing: Listing, statement: Select[tuple[T]], model: Any) -> Select[tuple[T]]:
    """``statement`` (already filtered by organization and filters) narrowed to this page, one extra row to peek."""
    if listing.since is not None:
        statement = statement.where(model.updated_at >= listing.since)
    if listing.created_after is not None:
        statement = statement.where(model.created_at >= listing.created_after)
    if listing.after is not None:
        created_at, last_id = listing.after
        statement = statement.where(
            or_(model.created_at > created_at, and_(model.created_at == created_at, model.id > last_id))
        )
    return statement.order_by(model.created_at, model.id).limit(listing.limit + 1)


def respond(
    secret: str, listing: Listing, rows: list[Any], render: Callable[[list[Any]], list[dict[str, Any]]]
) -> dict[str, Any]:
    """The page body for ``rows`` (as fetched by ``apply``): the next cursor, or the sync token on the last page."""
    more = len(rows) > listing.limit
    rows = rows[: listing.limit]
    base = {"e": listing.endpoint, "o": listing.organization_id, "f": listing.filters_digest}
    if more:
        last = rows[-1]
        cursor = encode_cursor(
            secret,
            {
                **base,
                "t": last.created_at.isoformat(),
                "i": last.id,
                "b": listing.started_at.isoformat(),
                "s": listing.since.isoformat() if listing.since is not None else None,
            },
            purpose="cursor",
        )
        return page(render(rows), more=True, next_cursor=cursor)
    token = encode_cursor(secret, {**base, "s": (listing.started_at - SYNC_OVERLAP).isoformat()}, purpose="sync")
    return page(render(rows), more=False, next_cursor=None, sync_token=token)


def fetch(
    session: Session, secret: str, listing: Listing, statement: Select[Any], model: Any, render: Callable[..., Any]
) -> dict[str, Any]:
    """Run ``statement`` for this page and build the body; ``render(session, rows)`` makes the JSON objects."""
    rows = list(session.scalars(apply(listing, statement, model)).unique().all())
    return respond(secret, listing, rows, lambda page_rows: render(session, page_rows))


def base_query(model: Any, organization_id: str) -> Select[Any]:
    return select(model).where(model.organization_id == organization_id)
