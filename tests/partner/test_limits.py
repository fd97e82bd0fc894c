"""Size limits (resume and body) and resumes stored on disk, on a service configured with small limits."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from sqlalchemy import func, select

from hirebridge.core.models import Candidate, StoredFile
from tests.partner.conftest import SmallService
from tests.partner.helpers import candidate_body, create_job, post_candidate


def _candidates(small: SmallService) -> int:
    with small.runtime.transaction() as session:
        org = small.partner.credentials.organization_id
        return session.scalar(select(func.count()).select_from(Candidate).where(Candidate.organization_id == org)) or 0


def test_resume_over_the_cap_is_refused(small_service: SmallService) -> None:
    job = create_job(small_service.partner)
    before = _candidates(small_service)
    resume = base64.b64encode(os.urandom(1025)).decode()
    response = post_candidate(small_service.partner, candidate_body(job, resume_base64=resume))
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] == "resume_base64"
    assert "at most 1024 bytes" in error["reason"]
    assert _candidates(small_service) == before


def test_resume_at_the_cap_is_stored_on_disk(small_service: SmallService) -> None:
    job = create_job(small_service.partner)
    content = b"PK\x03\x04" + os.urandom(1020)
    response = post_candidate(
        small_service.partner, candidate_body(job, resume_base64=base64.b64encode(content).decode())
    )
    assert response.status_code == 200, response.text
    with small_service.runtime.transaction() as session:
        stored = session.scalars(
            select(StoredFile).where(StoredFile.organization_id == small_service.partner.credentials.organization_id)
        ).one()
        assert stored.content is None
        assert stored.path is not None
        path = Path(stored.path)
    assert path.is_relative_to(small_service.resume_dir)
    assert path.read_bytes() == content
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_body_over_the_limit_is_413_and_nothing_is_written(small_service: SmallService) -> None:
    job = create_job(small_service.partner)
    before = _candidates(small_service)
    body = candidate_body(job, first_name="x" * 5000)
    response = post_candidate(small_service.partner, body)
    assert response.status_code == 413
    assert response.json()["error_code"] == "PAYLOAD_TOO_LARGE"
    assert _candidates(small_service) == before
