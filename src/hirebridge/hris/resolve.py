"""An operator settles a create whose outcome hirebridge could not find out.

When a create's answer is lost, the next attempt looks the person up by email before creating again. A hire without
an email (or a connection whose field mapping drops it) cannot be looked up, so the push fails with its outcome
unknown rather than risk a second employee. Someone then looks in the HRIS and says what they found:

- ``remote_id``: the employee is there. It becomes the candidate's record for the connection, so the next push
  updates it.
- ``None``: nothing was created. The unknown outcome is cleared, so the next push creates.

Either way every unknown flag of this candidate on this connection is cleared, and ``hrisPush.retry`` (or a new
``candidate.pushToHris``) carries on. Refused while a push of the candidate is in flight on that connection.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hirebridge.errors import AppError, NotFound
from hirebridge.hris.models import ACTIVE_PUSH_STATES, HrisPush, RemoteRecord, upsert_remote_record

MAX_REMOTE_ID_CHARS = 255


@dataclass(frozen=True)
class Resolution:
    push_id: str
    connection_id: str
    candidate_id: str
    remote_id: str | None
    cleared: int  # how many pushes' unknown outcomes were cleared

    def as_json(self) -> dict[str, object]:
        return {
            "pushId": self.push_id,
            "hrisConnectionId": self.connection_id,
            "candidateId": self.candidate_id,
            "remoteId": self.remote_id,
            "clearedUnknownOutcomes": self.cleared,
        }


def resolve_unknown(session: Session, organization_id: str, push_id: str, remote_id: str | None) -> Resolution:
    """Settle the unknown outcome behind ``push_id`` (see the module docstring); ``remote_id`` None: not created."""
    push = session.get(HrisPush, push_id, with_for_update=True)
    if push is None or push.organization_id != organization_id:
        raise NotFound("Push not found.", code="hris_push_not_found")
    if remote_id is not None:
        remote_id = remote_id.strip()
        if not remote_id or len(remote_id) > MAX_REMOTE_ID_CHARS:
            raise AppError("invalid_input", f"the remote id must be 1 to {MAX_REMOTE_ID_CHARS} characters")
    same_person = (HrisPush.connection_id == push.connection_id, HrisPush.candidate_id == push.candidate_id)
    in_flight = session.scalar(select(HrisPush.id).where(*same_person, HrisPush.state.in_(ACTIVE_PUSH_STATES)))
    if in_flight is not None:
        raise AppError(
            "hris_push_in_progress",
            f"push {in_flight} of this candidate to this HRIS is still in progress; resolve after it has finished",
        )
    unknown = session.scalars(select(HrisPush.id).where(*same_person, HrisPush.outcome_unknown.is_(True))).all()
    known = session.scalar(
        select(RemoteRecord.remote_id).where(
            RemoteRecord.connection_id == push.connection_id, RemoteRecord.candidate_id == push.candidate_id
        )
    )
    if not unknown:
        where = f"is HRIS record {known}" if known else "has no HRIS record yet"
        raise AppError(
            "hris_push_not_uncertain",
            f"no push of this candidate to this HRIS has an unknown outcome (the candidate {where}); "
            "nothing to resolve",
        )
    if remote_id is not None:
        upsert_remote_record(
            session,
            organization_id=organization_id,
            connection_id=push.connection_id,
            candidate_id=push.candidate_id,
            remote_id=remote_id,
            remote_kind="employee",
            push_id=push.id,
        )
    session.execute(
        update(HrisPush)
        .where(HrisPush.id.in_(unknown))
        .values(outcome_unknown=False, outcome_unknown_at=None)
        .execution_options(synchronize_session=False)
    )
    return Resolution(push.id, push.connection_id, push.candidate_id, remote_id, len(unknown))
