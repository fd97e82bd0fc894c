"""Accepted hires to push, written with the models of the code under test (run under its PYTHONPATH).

    DATABASE_URL=... python -m bench.seed ORGANIZATION_ID COUNT     # prints the application ids as JSON

One job; per hire a candidate (unique email), an application and an accepted offer, in batches of 500 per
transaction. This is set-up, not measured.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from datetime import date

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

BATCH = 500


def main() -> None:
    import hirebridge.db.models  # noqa: F401 - every table, for the foreign keys
    from hirebridge.core.models import Application, Candidate, Job, JobStatus, Offer, OfferStatus

    organization_id, count = sys.argv[1], int(sys.argv[2])
    engine = create_engine(os.environ["DATABASE_URL"])
    ids: list[str] = []
    with Session(engine) as session, session.begin():
        job = Job(organization_id=organization_id, title="Software Engineer", status=JobStatus.OPEN)
        session.add(job)
        session.flush()
        job_id = job.id
    while len(ids) < count:
        with Session(engine) as session, session.begin():
            batch = min(BATCH, count - len(ids))
            candidates = [
                Candidate(
                    organization_id=organization_id,
                    first_name="Bench",
                    last_name=f"Hire {len(ids) + n}",
                    email=f"hire.{uuid.uuid4().hex[:12]}@example.com",
                )
                for n in range(batch)
            ]
            session.add_all(candidates)
            session.flush()
            applications = [
                Application(organization_id=organization_id, candidate_id=c.id, job_id=job_id) for c in candidates
            ]
            session.add_all(applications)
            session.flush()
            session.add_all(
                Offer(
                    organization_id=organization_id,
                    application_id=a.id,
                    status=OfferStatus.CANDIDATE_ACCEPTED,
                    version_id=str(uuid.uuid4()),
                    start_date=date(2030, 1, 6),
                    job_title="Software Engineer",
                )
                for a in applications
            )
            ids.extend(a.id for a in applications)
    engine.dispose()
    print(json.dumps(ids))


if __name__ == "__main__":
    main()
