"""Console fixtures: a signed-in console client, and a failed BambooHR push (a wrong API key: 401)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from hirebridge.orgs.service import IssuedCredentials
from hirebridge.runtime import Runtime
from tests.ats.hris_helpers import simulator
from tests.console.helpers import Console, FailedPush, make_failed_push, signed_in

__all__ = ["FailedPush", "simulator"]


@pytest.fixture
def console(service: str, runtime: Runtime, org: IssuedCredentials) -> Iterator[Console]:
    signed = signed_in(service, runtime, org.organization_id)
    try:
        yield signed
    finally:
        signed.client.close()


@pytest.fixture
def failed_push(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, simulator: Callable[[Any], str]
) -> FailedPush:
    return make_failed_push(ats, runtime, org.organization_id, simulator)


@pytest.fixture
def ats(client: httpx.Client, org: IssuedCredentials) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=str(client.base_url), auth=(org.api_key, ""), timeout=60) as ats_client:
        yield ats_client
