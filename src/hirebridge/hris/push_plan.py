"""An HRIS push's plan: what one attempt needs, read (and marked) in the transaction that claims its job.

``read_plan(session, ctx, push_id)`` costs two statements, whatever the hire: on PostgreSQL the candidate's row lock
(creates of one person are serialised), then one SELECT of the push, its connection, the application, candidate,
job and latest offer, the candidate's mapping on the connection, and the write-ahead checks (an earlier unknown
outcome of this person on this connection; another push of them in flight with its outcome unknown). One UPDATE marks
the push running, and for a create that may go ahead it also commits the write-ahead record (``outcome_unknown``)
before any request leaves. A push whose first call goes out at once takes its rate-limit slot in the same
transaction. The statements are built once (SQLAlchemy Core), so an attempt pays only for binding and reading.

``upsert_mapping`` is ``hris.models.upsert_remote_record`` as one statement built once per dialect: building an
``ON CONFLICT`` statement's ``excluded`` columns costs more CPU than the rest of the push's bookkeeping.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Row, Select, Table, and_, bindparam, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hirebridge.connectors.base import Hire, RemoteRef
from hirebridge.core.models import Application, Candidate, Job, Offer
from hirebridge.db.types import utcnow
from hirebridge.delivery.handlers import Done, GiveUp, JobContext, Outcome, Wait
from hirebridge.delivery.ratelimit import reserve_in
from hirebridge.hris.hire import split_name
from hirebridge.hris.models import HrisConnection, HrisPush, PushState, RemoteRecord

CONCURRENT_WAIT_SECONDS = 2.0
TERMINAL = (PushState.SUCCEEDED, PushState.FAILED)


def rate_key(connection_id: str) -> str:
    return f"hris:{connection_id}"


@dataclass
class Plan:
    """What an attempt needs, read in one transaction (the claim's); the HTTP calls happen after it is closed."""

    push_id: str
    organization_id: str
    candidate_id: str
    connection_id: str
    system: str
    base_url: str
    credentials_encrypted: str
    field_mapping: dict[str, Any]
    connection_settings: dict[str, Any]
    rate_per_second: float
    hire: Hire
    remote_id: str | None
    remote_kind: str
    uncertain: bool
    uncertain_since: datetime | None
    written_ahead: bool = False  # a create's write-ahead record was committed with the plan
    create_sent: bool = False  # the create was handed to the connector (its request may have left)
    slot_at: float | None = None  # time.monotonic() of the first call's rate-limit slot, taken with the plan


def read_plan(session: Session, ctx: JobContext, push_id: str) -> Plan | Outcome:
    """Read what the attempt needs in two statements (the candidate's lock on PostgreSQL, then one SELECT), and
    write in one UPDATE that the push runs; a create that may go ahead commits its write-ahead record there too."""
    if session.get_bind().dialect.name == "postgresql":
        # Serialise creates of one person (two applications of one candidate pushed at once): the checks of
        # ``_PLAN`` below then see every other push's committed write-ahead record.
        session.execute(_LOCK_CANDIDATE, {"push_id": push_id})
    row = session.execute(_PLAN, {"push_id": push_id}).first()
    if row is None:
        return GiveUp("the push no longer exists")
    if row.state in TERMINAL:
        return Done(f"push already {PushState(row.state).value}")
    if row.connection_id_found is None or not row.is_enabled:
        return GiveUp("the HRIS connection is disabled or was removed")
    if row.application_found is None or row.candidate_found is None or row.job_found is None:
        return GiveUp("the application no longer exists")
    remote_id = row.remote_id
    # An uncertain create by this push, or by an earlier push of the same person, must be looked up first (a known
    # record is updated, so then there is nothing to look up).
    earlier_unknown = row.earlier_unknown if remote_id is None else None
    uncertain = bool(row.outcome_unknown) or ctx.interrupted or earlier_unknown is not None
    values: dict[str, Any] = {"state": PushState.RUNNING, "attempts": ctx.spent_attempts}
    if ctx.interrupted:
        values["error_message"] = "worker lost during the previous attempt; taken over by another worker"
    create = remote_id is None and not uncertain
    if create and row.other_in_flight:
        message = "another push of this candidate to this HRIS is in flight; retrying after it"
        values.update(state=PushState.QUEUED, attempts=max(ctx.spent_attempts - 1, 0), error_message=message)
        update_push(session, push_id, values)
        return Wait(CONCURRENT_WAIT_SECONDS, message)
    if create:
        values.update(outcome_unknown=True, outcome_unknown_at=utcnow())  # the write-ahead record
    update_push(session, push_id, values)
    plan = Plan(
        push_id=push_id,
        organization_id=row.organization_id,
        candidate_id=row.candidate_id,
        connection_id=row.connection_id,
        system=row.system,
        base_url=row.base_url,
        credentials_encrypted=row.credentials_encrypted,
        field_mapping=dict(row.field_mapping or {}),
        connection_settings=dict(row.settings or {}),
        rate_per_second=max(row.rate_limit_per_second, 0.01),
        hire=hire_from(row),
        remote_id=remote_id,
        remote_kind=row.remote_kind if remote_id is not None else "employee",
        uncertain=uncertain,
        uncertain_since=earlier_unknown,
        written_ahead=create,
    )
    if not uncertain:  # its first call goes out at once; an uncertain push may wait instead (the HRIS's read lag)
        capacity = max(1.0, plan.rate_per_second)
        wait = reserve_in(session, rate_key(plan.connection_id), plan.rate_per_second, capacity) or 0.0
        plan.slot_at = time.monotonic() + wait
    return plan


def hire_from(row: Row[Any]) -> Hire:
    """What ``hris.hire.build_hire`` builds, from the plan's row."""
    first, last = split_name(row.first_name, row.last_name)
    custom_fields: dict[str, Any] = dict(row.candidate_custom_fields or {})
    offer = row.offer_found is not None
    if offer:
        custom_fields.update(row.offer_custom_fields or {})
    return Hire(
        candidate_id=row.candidate_found,
        application_id=row.application_found,
        first_name=first,
        last_name=last,
        email=row.email,
        phone=row.phone,
        job_title=row.offer_job_title if offer and row.offer_job_title else row.job_title,
        department=row.department,
        location=row.job_location or row.candidate_location,
        employment_type=row.employment_type,
        start_date=row.start_date if offer else None,
        salary_value=row.salary_value if offer else None,
        salary_currency=row.salary_currency if offer else None,
        salary_period=row.salary_period if offer else None,
        custom_fields=custom_fields,
    )


def update_push(session: Session, push_id: str, values: dict[str, Any]) -> None:
    """UPDATE the push's row with ``values`` (and ``updated_at``); one statement built once per set of columns."""
    columns = tuple(sorted(values))
    statement = _PUSH_UPDATES.get(columns)
    if statement is None:
        pushes = _table(HrisPush)
        statement = _PUSH_UPDATES.setdefault(
            columns,
            update(pushes)
            .where(pushes.c.id == bindparam("b_push"))
            .values({name: bindparam(f"v_{name}", type_=pushes.c[name].type) for name in (*columns, "updated_at")}),
        )
    session.execute(statement, {"b_push": push_id, "v_updated_at": utcnow()} | {f"v_{k}": v for k, v in values.items()})


_PUSH_UPDATES: dict[tuple[str, ...], Any] = {}


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


def _plan_query() -> tuple[Select[Any], Select[Any]]:
    """The candidate's lock (PostgreSQL), and the plan: the push, its connection, the hire's records, the
    candidate's mapping on the connection and the write-ahead checks, in one statement. Built once."""
    pushes, connection, remote = _table(HrisPush), _table(HrisConnection), _table(RemoteRecord)
    application, candidate, job, offer = _table(Application), _table(Candidate), _table(Job), _table(Offer)
    push, other = pushes.alias("p"), pushes.alias("o")
    push_id: BindParameter[str] = bindparam("push_id")
    lock = (
        select(candidate.c.id)
        .join(push, push.c.candidate_id == candidate.c.id)
        .where(push.c.id == push_id)
        .with_for_update(of=candidate)
    )
    same_person = and_(other.c.connection_id == push.c.connection_id, other.c.candidate_id == push.c.candidate_id)
    newer = offer.alias("newer")
    latest_offer = (
        select(newer.c.id)
        .where(newer.c.application_id == application.c.id)
        .order_by(newer.c.created_at.desc(), newer.c.id.desc())
        .limit(1)
        .correlate(application)
        .scalar_subquery()
    )
    plan = (
        select(
            push.c.organization_id,
            push.c.candidate_id,
            push.c.connection_id,
            push.c.state,
            push.c.outcome_unknown,
            connection.c.id.label("connection_id_found"),
            connection.c.is_enabled,
            connection.c.system,
            connection.c.base_url,
            connection.c.credentials_encrypted,
            connection.c.field_mapping,
            connection.c.settings,
            connection.c.rate_limit_per_second,
            application.c.id.label("application_found"),
            candidate.c.id.label("candidate_found"),
            candidate.c.first_name,
            candidate.c.last_name,
            candidate.c.email,
            candidate.c.phone,
            candidate.c.location.label("candidate_location"),
            candidate.c.custom_fields.label("candidate_custom_fields"),
            job.c.id.label("job_found"),
            job.c.title.label("job_title"),
            job.c.department,
            job.c.location.label("job_location"),
            job.c.employment_type,
            offer.c.id.label("offer_found"),
            offer.c.job_title.label("offer_job_title"),
            offer.c.start_date,
            offer.c.salary_value,
            offer.c.salary_currency,
            offer.c.salary_period,
            offer.c.custom_fields.label("offer_custom_fields"),
            remote.c.remote_id,
            remote.c.remote_kind,
            select(func.max(other.c.outcome_unknown_at))
            .where(same_person, other.c.outcome_unknown.is_(True))
            .scalar_subquery()
            .label("earlier_unknown"),
            exists()
            .where(
                same_person,
                other.c.id != push.c.id,
                other.c.state == PushState.RUNNING,
                other.c.outcome_unknown.is_(True),
            )
            .label("other_in_flight"),
        )
        .select_from(push)
        .outerjoin(connection, connection.c.id == push.c.connection_id)
        .outerjoin(application, application.c.id == push.c.application_id)
        .outerjoin(candidate, candidate.c.id == application.c.candidate_id)
        .outerjoin(job, job.c.id == application.c.job_id)
        .outerjoin(offer, offer.c.id == latest_offer)
        .outerjoin(
            remote,
            and_(remote.c.connection_id == push.c.connection_id, remote.c.candidate_id == push.c.candidate_id),
        )
        .where(push.c.id == push_id)
    )
    return lock, plan


_LOCK_CANDIDATE, _PLAN = _plan_query()


def upsert_mapping(session: Session, plan: Plan, remote: RemoteRef) -> None:
    """Record that the candidate is ``remote`` in the connection's HRIS: insert or update, one statement. A
    ``pre_hire_id`` of None keeps the one recorded before (an update does not forget the pre-hire)."""
    dialect = session.get_bind().dialect.name
    statement = _UPSERTS.get(dialect)
    if statement is None:
        statement = _UPSERTS.setdefault(dialect, _upsert_statement(dialect))
    now = utcnow()
    session.execute(
        statement,
        {
            "v_org": plan.organization_id,
            "v_connection": plan.connection_id,
            "v_candidate": plan.candidate_id,
            "v_remote": remote.remote_id,
            "v_kind": remote.kind,
            "v_pre_hire": remote.pre_hire_id,
            "v_push": plan.push_id,
            "v_now": now,
        },
    )


_UPSERTS: dict[str, Any] = {}


def _upsert_statement(dialect: str) -> Any:
    remote = _table(RemoteRecord)
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(remote).values(
        organization_id=bindparam("v_org"),
        connection_id=bindparam("v_connection"),
        candidate_id=bindparam("v_candidate"),
        remote_id=bindparam("v_remote"),
        remote_kind=bindparam("v_kind"),
        pre_hire_id=bindparam("v_pre_hire"),
        last_push_id=bindparam("v_push"),
        created_at=bindparam("v_now"),
        updated_at=bindparam("v_now"),
    )
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=["connection_id", "candidate_id"],
        set_={
            "remote_id": excluded.remote_id,
            "remote_kind": excluded.remote_kind,
            "pre_hire_id": func.coalesce(excluded.pre_hire_id, remote.c.pre_hire_id),
            "last_push_id": excluded.last_push_id,
            "updated_at": excluded.updated_at,
        },
    )
