"""A second service with small size limits and resumes stored on disk, for the limits tests (the shared service
keeps the production defaults, which would need multi-megabyte bodies to reach)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from hirebridge.orgs.service import create_organization
from hirebridge.runtime import Runtime
from hirebridge.settings import Settings
from tests.conftest import PartnerSession
from tests.support.servers import serve


@dataclass
class SmallService:
    runtime: Runtime
    partner: PartnerSession
    resume_dir: Path


@pytest.fixture(scope="module")
def small_service(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmallService]:
    from hirebridge.app import create_app

    resume_dir = tmp_path_factory.mktemp("resumes")
    small = settings.model_copy(update={"resume_max_bytes": 1024, "max_body_bytes": 4096, "resume_dir": resume_dir})
    runtime = Runtime.from_settings(small)
    with serve(create_app(runtime)) as url:
        runtime.public_url = url
        with runtime.transaction() as session:
            org = create_organization(session, "Small Org")
        with httpx.Client(base_url=url, timeout=30) as client:
            token = client.post(
                "/partner/oauth2/token",
                json={"grant_type": "client_credentials"},
                auth=(org.client_id, org.client_secret),
            ).json()["access_token"]
            yield SmallService(runtime, PartnerSession(client, org, token), resume_dir)
    runtime.close()
