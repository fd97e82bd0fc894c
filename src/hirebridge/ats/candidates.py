"""``candidate.create``, ``candidate.info``, ``candidate.list`` and ``candidate.search`` (Ashby's shapes).

- ``candidate.create`` {name (required), email, phoneNumber, location{city, region, country}, createdAt}: the name
  is split at its first space into the core record's first and last name. Ashby's ``linkedInUrl``, ``githubUrl``,
  ``website`` and ``alternateEmailAddresses`` are accepted and not stored; the answer then says so in the warning
  ``fields_not_stored: <names>``. ``sourceId`` and ``creditedToUserId``
  would change the answer (``source``, ``creditedToUser``) and this service keeps no sources or users, so they are
  refused (``invalid_input`` naming the field) rather than ignored.
- ``candidate.info`` {id} or {externalMappingId}: the id the candidate has in another system, looked up among the
  HRIS records it became (``RemoteRecord.remote_id``) and the ids other systems gave it (``ExternalId``, e.g.
  Workday's candidate id from the partner API). An id that names candidates in two places is ambiguous and refused.
- ``candidate.info`` is also served as ``GET /candidate.info?id=<id>`` (same key, same answer): the address a
  candidate's ``profileUrl`` gives.
- ``candidate.list``: paginated, with ``syncToken`` for incremental sync and Ashby's ``createdAfter`` (see
  ``ats.listing``).
- ``candidate.search`` {email and/or name, combined with AND}: exact email (case-insensitive), name containing the
  given text (case-insensitive); at most 100 results, as at Ashby.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import Field, ValidationError, field_validator
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hirebridge.ats import listing
from hirebridge.ats.auth import ApiCaller, require
from hirebridge.ats.common import get_owned, in_transaction, write
from hirebridge.ats.envelope import AtsModel, ListParams, invalid_fields, invalid_input, not_found, ok, read_body
from hirebridge.ats.serializers import candidate_json, load_related
from hirebridge.core.models import Candidate, ExternalId
from hirebridge.errors import FieldError
from hirebridge.hris.models import RemoteRecord
from hirebridge.http import field_path, reason_for
from hirebridge.openapi import EXAMPLE_ID, ats
from hirebridge.web import get_runtime

router = APIRouter(tags=["ats: candidates"])
SEARCH_LIMIT = 100
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

Read = Annotated[ApiCaller, Depends(require("candidatesRead"))]
Write = Annotated[ApiCaller, Depends(require("candidatesWrite"))]


def _valid_email(value: str | None) -> str | None:
    if value is not None and not _EMAIL.match(value):
        raise ValueError("must be an email address")
    return value


class Location(AtsModel):
    city: str | None = Field(None, max_length=100)
    region: str | None = Field(None, max_length=100)
    country: str | None = Field(None, max_length=100)

    def summary(self) -> str | None:
        parts = [p for p in (self.country, self.region, self.city) if p]
        return ", ".join(parts) or None


class CandidateCreate(AtsModel):
    name: str = Field(min_length=1, max_length=255)
    email: str | None = Field(None, max_length=254)
    phoneNumber: str | None = Field(None, max_length=64)
    location: Location | None = None
    createdAt: datetime | None = None
    sourceId: str | None = Field(None, max_length=255)
    creditedToUserId: str | None = Field(None, max_length=255)
    linkedInUrl: str | None = Field(None, max_length=2048)
    githubUrl: str | None = Field(None, max_length=2048)
    website: str | None = Field(None, max_length=2048)
    alternateEmailAddresses: list[Annotated[str, Field(max_length=254)]] | None = Field(None, max_length=20)

    def not_stored(self) -> list[str] | None:
        """The warning for the Ashby fields this request sent that hirebridge does not keep."""
        names = [n for n in ("linkedInUrl", "githubUrl", "website", "alternateEmailAddresses") if getattr(self, n)]
        return [f"fields_not_stored: {', '.join(names)}"] if names else None

    def check(self) -> None:
        if self.sourceId is not None:
            raise invalid_input("sourceId", "is not supported: this service keeps no sources; leave it out")
        if self.creditedToUserId is not None:
            raise invalid_input("creditedToUserId", "is not supported: this service keeps no users; leave it out")

    @field_validator("email")
    @classmethod
    def _check_email(cls, value: str | None) -> str | None:
        return _valid_email(value)

    @field_validator("createdAt")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must include a time zone (e.g. 2024-05-01T09:00:00Z)")
        return value


class CandidateInfo(AtsModel):
    id: UUID | None = None
    externalMappingId: str | None = Field(None, min_length=1, max_length=255)


class CandidateSearch(AtsModel):
    email: str | None = Field(None, min_length=1, max_length=254)
    name: str | None = Field(None, min_length=1, max_length=255)


def split_name(name: str) -> tuple[str, str | None]:
    first, _, last = " ".join(name.split()).partition(" ")
    return first, last or None


def render(session: Session, candidates: list[Candidate], public_url: str) -> list[dict[str, Any]]:
    if not candidates:
        return []
    related = load_related(session, candidates[0].organization_id, [c.id for c in candidates], candidates=True)
    return [candidate_json(c, related, public_url) for c in candidates]


def candidate_body(session: Session, candidate: Candidate, public_url: str) -> dict[str, Any]:
    return render(session, [candidate], public_url)[0]


def find_by_external_id(session: Session, organization_id: str, external_id: str) -> Candidate:
    ids = set(
        session.scalars(
            select(RemoteRecord.candidate_id).where(
                RemoteRecord.organization_id == organization_id,
                # An employee hired from a pre-hire (Workday) is found by either id.
                or_(RemoteRecord.remote_id == external_id, RemoteRecord.pre_hire_id == external_id),
            )
        )
    )
    ids |= set(
        session.scalars(
            select(ExternalId.entity_id).where(
                ExternalId.organization_id == organization_id,
                ExternalId.kind == "candidate",
                ExternalId.external_id == external_id,
            )
        )
    )
    if not ids:
        raise not_found("candidate", external_id, field="externalMappingId")
    if len(ids) > 1:
        raise invalid_input(
            "externalMappingId",
            "names more than one candidate (ids from different systems coincide); use 'id'",
        )
    return get_owned(session, Candidate, organization_id, ids.pop(), "candidate", "externalMappingId")


@router.post(
    "/candidate.create",
    summary="Create a candidate (candidatesWrite)",
    openapi_extra=ats(CandidateCreate, "Candidate", idempotent=True),
)
async def candidate_create(request: Request, caller: Write) -> Response:
    data = await read_body(request, CandidateCreate)
    data.check()
    first, last = split_name(data.name)
    public_url = get_runtime(request).public_url

    def work(session: Session) -> dict[str, Any]:
        candidate = Candidate(
            organization_id=caller.organization_id,
            first_name=first,
            last_name=last,
            email=data.email,
            phone=data.phoneNumber,
            location=data.location.summary() if data.location is not None else None,
        )
        if data.createdAt is not None:
            candidate.created_at = data.createdAt
        session.add(candidate)
        session.flush()
        return ok(candidate_body(session, candidate, public_url), warnings=data.not_stored())

    return await write(request, caller, "candidate.create", data, work)


@router.post(
    "/candidate.info",
    summary="A candidate by id or externalMappingId (candidatesRead)",
    openapi_extra=ats(CandidateInfo, "Candidate", errors=[not_found("candidate", EXAMPLE_ID, field="id")]),
)
async def candidate_info(request: Request, caller: Read) -> dict[str, Any]:
    return await _info(request, caller, await read_body(request, CandidateInfo))


@router.get(
    "/candidate.info",
    summary="A candidate by id: the candidate's profileUrl (candidatesRead)",
    openapi_extra=ats(None, "Candidate", query=CandidateInfo, errors=[not_found("candidate", EXAMPLE_ID, field="id")]),
)
async def candidate_info_get(request: Request, caller: Read) -> dict[str, Any]:
    query = {key: value for key, value in request.query_params.items() if key in ("id", "externalMappingId")}
    try:
        data = CandidateInfo.model_validate(query)
    except ValidationError as exc:
        raise invalid_fields([FieldError(field_path(tuple(e["loc"])), reason_for(e)) for e in exc.errors()]) from None
    return await _info(request, caller, data)


async def _info(request: Request, caller: ApiCaller, data: CandidateInfo) -> dict[str, Any]:
    if data.id is None and data.externalMappingId is None:
        raise invalid_input("id", "is required when 'externalMappingId' is not given")
    public_url = get_runtime(request).public_url

    def work(session: Session) -> dict[str, Any]:
        if data.id is not None:
            candidate = get_owned(session, Candidate, caller.organization_id, str(data.id), "candidate", "id")
        else:
            assert data.externalMappingId is not None
            candidate = find_by_external_id(session, caller.organization_id, data.externalMappingId)
        return ok(candidate_body(session, candidate, public_url))

    return await in_transaction(request, work)


@router.post(
    "/candidate.list",
    summary="All candidates, paginated, with incremental sync (candidatesRead)",
    openapi_extra=ats(ListParams, "Candidate", many=True),
)
async def candidate_list(request: Request, caller: Read) -> dict[str, Any]:
    params = await read_body(request, ListParams)
    runtime = get_runtime(request)
    secret = runtime.signing_key
    page = listing.start(secret, "candidate.list", caller.organization_id, params)
    statement = listing.base_query(Candidate, caller.organization_id)
    draw = functools.partial(render, public_url=runtime.public_url)
    return await in_transaction(
        request, lambda session: listing.fetch(session, secret, page, statement, Candidate, draw)
    )


@router.post(
    "/candidate.search",
    summary="Candidates by email and/or name (candidatesRead)",
    openapi_extra=ats(CandidateSearch, "Candidate", many=True),
)
async def candidate_search(request: Request, caller: Read) -> dict[str, Any]:
    data = await read_body(request, CandidateSearch)
    if data.email is None and data.name is None:
        raise invalid_input("email", "is required when 'name' is not given (search by email and/or name)")
    public_url = get_runtime(request).public_url

    def work(session: Session) -> dict[str, Any]:
        statement = select(Candidate).where(Candidate.organization_id == caller.organization_id)
        if data.email is not None:
            statement = statement.where(func.lower(Candidate.email) == data.email.lower())
        if data.name is not None:
            pattern = "%" + data.name.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            full_name = func.lower(
                func.coalesce(Candidate.first_name, "") + " " + func.coalesce(Candidate.last_name, "")
            )
            statement = statement.where(
                or_(full_name.like(pattern, escape="\\"), func.lower(Candidate.first_name).like(pattern, escape="\\"))
            )
        rows = list(session.scalars(statement.order_by(Candidate.created_at, Candidate.id).limit(SEARCH_LIMIT)))
        return ok(render(session, rows, public_url))

    return await in_transaction(request, work)
