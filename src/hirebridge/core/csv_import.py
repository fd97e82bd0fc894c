"""Import candidates from a CSV file into a job (``hirebridge candidates import``), idempotently.

Columns (header row, any order, case-insensitive): ``name`` (required), ``email``, ``phone``, ``city``, ``region``,
``country``, ``external_id``. Each row is checked by the rules of ``candidate.create`` (``ats.candidates``:
same model, same reasons); a bad row is reported with its line number, the column and the reason, and the others are
imported.

A re-run creates nothing twice. Each row is known by a key: its ``external_id`` if given, else its email (a row with
neither cannot be recognised again, so it is refused). Keys are ``ExternalId`` rows of the system ``csv`` (unique in
the database, like every other system's ids, ``core.external_ids``): the candidate under ``key``, and the application
under ``<job id>:<key>``. A row whose application is already mapped is left as it is. A new key whose email belongs to
exactly one candidate of the organization reuses that candidate; a candidate already applied to the job keeps that
application. Each row is its own transaction, retried when a concurrent import took the same key first.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hirebridge.ats.candidates import CandidateCreate, split_name
from hirebridge.core.external_ids import find_entity_id, link
from hirebridge.core.models import Application, Candidate, Job, JobStatus
from hirebridge.errors import BusinessRuleViolation, NotFound
from hirebridge.http import reason_for

SYSTEM = "csv"
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
MAX_KEY_CHARS = 200
COLUMNS = ("name", "email", "phone", "city", "region", "country", "external_id")
# The model's field for each column, to name the column a validation error is about.
_FIELD_TO_COLUMN = {
    "name": "name",
    "email": "email",
    "phoneNumber": "phone",
    "location.city": "city",
    "location.region": "region",
    "location.country": "country",
}


class ImportRefused(ValueError):
    """The file as a whole cannot be imported (not CSV, no name column, too large); nothing was imported."""


@dataclass(frozen=True)
class RowError:
    line: int  # the row's line in the file (the header is line 1)
    field: str  # the column
    reason: str


@dataclass
class ImportReport:
    created: int = 0  # new candidate and application
    applied: int = 0  # an existing candidate, newly applied to the job
    unchanged: int = 0  # imported before: nothing done
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.created + self.applied + self.unchanged + len({e.line for e in self.errors})


@dataclass(frozen=True)
class _Row:
    line: int
    key: str
    candidate: CandidateCreate


Progress = Callable[[int, int], object]  # (rows done, rows in the file)


def parse(content: bytes) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    """The data rows with their line numbers, and the columns that will be ignored; ImportRefused for a bad file."""
    if len(content) > MAX_FILE_BYTES:
        raise ImportRefused(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; split it")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused(f"the file is not UTF-8 text (byte {exc.start} cannot be read)") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise ImportRefused("the file is empty; its first line must name the columns (name,email,phone,...)")
        columns = [h.strip().lower().replace("-", "_").replace(" ", "_") for h in header]
        if "name" not in columns:
            raise ImportRefused(
                f"the first line must name the columns and include 'name'; columns: {', '.join(COLUMNS)}"
            )
        rows: list[tuple[int, dict[str, str]]] = []
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= MAX_ROWS:
                raise ImportRefused(f"the file has more than {MAX_ROWS} rows; split it")
            row = {c: v.strip() for c, v in zip(columns, values, strict=False) if c in COLUMNS}
            if len(values) > len(columns):
                row["__extra__"] = "1"
            rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise ImportRefused(f"line {reader.line_num}: not valid CSV ({exc})") from None
    ignored = [c for c in dict.fromkeys(columns) if c not in COLUMNS and c]
    return rows, ignored


def validate(line: int, values: dict[str, str]) -> _Row | list[RowError]:
    """The row as ``candidate.create`` would take it, or what is wrong with it."""
    if values.get("__extra__"):
        return [RowError(line, "row", "has more values than the header has columns")]
    if not values.get("name"):
        return [RowError(line, "name", "is required")]
    location = {k: values[k] for k in ("city", "region", "country") if values.get(k)}
    body: dict[str, Any] = {"name": values.get("name", "")}
    if values.get("email"):
        body["email"] = values["email"]
    if values.get("phone"):
        body["phoneNumber"] = values["phone"]
    if location:
        body["location"] = location
    errors: list[RowError] = []
    try:
        candidate = CandidateCreate.model_validate(body)
    except ValidationError as exc:
        for error in exc.errors():
            path = ".".join(str(p) for p in error["loc"])
            errors.append(RowError(line, _FIELD_TO_COLUMN.get(path, path), reason_for(error)))
        return errors
    key = values.get("external_id") or (candidate.email or "").strip().lower()
    if not key:
        return [RowError(line, "email", "is required unless external_id is given: a re-run recognises rows by it")]
    if len(key) > MAX_KEY_CHARS:
        return [RowError(line, "external_id", f"must be at most {MAX_KEY_CHARS} characters")]
    return _Row(line, key, candidate)


def import_candidates(
    sessions: sessionmaker[Session],
    organization_id: str,
    job_id: str,
    content: bytes,
    *,
    progress: Progress | None = None,
) -> ImportReport:
    """Import the file's good rows into the job (see the module docstring). NotFound for a job of another
    organization; ``job_not_open`` for a closed or archived one; ImportRefused for a file that is not usable."""
    with sessions() as session:
        job = session.get(Job, job_id)
        if job is None or job.organization_id != organization_id:
            raise NotFound("Job not found.", code="job_not_found")
        if job.status in (JobStatus.CLOSED, JobStatus.ARCHIVED):
            raise BusinessRuleViolation("job_not_open", "The job is closed or archived; it takes no new applications.")
    rows, ignored = parse(content)
    report = ImportReport(ignored_columns=ignored)
    for done, (line, values) in enumerate(rows, start=1):
        checked = validate(line, values)
        if isinstance(checked, list):
            report.errors.extend(checked)
        else:
            outcome = _import_row(sessions, organization_id, job_id, checked)
            setattr(report, outcome, getattr(report, outcome) + 1)
        if progress is not None:
            progress(done, len(rows))
    return report


def _import_row(sessions: sessionmaker[Session], organization_id: str, job_id: str, row: _Row) -> str:
    for attempt in range(3):
        try:
            with sessions() as session, session.begin():
                return _apply(session, organization_id, job_id, row)
        except IntegrityError:  # a concurrent import linked the same key first: look again
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _apply(session: Session, organization_id: str, job_id: str, row: _Row) -> str:
    application_key = f"{job_id}:{row.key}"
    if find_entity_id(session, organization_id, SYSTEM, "application", application_key) is not None:
        return "unchanged"
    candidate = _known_candidate(session, organization_id, row)
    outcome = "applied"
    if candidate is None:
        data = row.candidate
        first, last = split_name(data.name)
        candidate = Candidate(
            organization_id=organization_id,
            first_name=first,
            last_name=last,
            email=data.email,
            phone=data.phoneNumber,
            location=data.location.summary() if data.location is not None else None,
        )
        session.add(candidate)
        session.flush()
        link(session, organization_id, SYSTEM, "candidate", row.key, candidate.id)
        outcome = "created"
    application_id = session.scalar(
        select(Application.id).where(Application.candidate_id == candidate.id, Application.job_id == job_id).limit(1)
    )
    if application_id is None:
        application = Application(organization_id=organization_id, candidate_id=candidate.id, job_id=job_id)
        session.add(application)
        session.flush()
        application_id = application.id
    elif outcome == "applied":
        outcome = "unchanged"  # the candidate was in the job already (through the API, say)
    link(session, organization_id, SYSTEM, "application", application_key, application_id)
    return outcome


def _known_candidate(session: Session, organization_id: str, row: _Row) -> Candidate | None:
    candidate_id = find_entity_id(session, organization_id, SYSTEM, "candidate", row.key)
    if candidate_id is not None:
        return session.get(Candidate, candidate_id)
    email = (row.candidate.email or "").strip().lower()
    if not email:
        return None
    same_email = list(
        session.scalars(
            select(Candidate)
            .where(Candidate.organization_id == organization_id, func.lower(Candidate.email) == email)
            .limit(2)
        )
    )
    if len(same_email) != 1:
        return None
    link(session, organization_id, SYSTEM, "candidate", row.key, same_email[0].id)
    return same_email[0]
