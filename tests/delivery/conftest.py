"""Fixtures for the delivery tests (the database, runtime and organization come from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hirebridge.delivery.handlers import unregister
from hirebridge.orgs.service import IssuedCredentials
from tests.delivery.helpers import unique_kind


@pytest.fixture
def org_id(org: IssuedCredentials) -> str:
    return org.organization_id


@pytest.fixture
def kind(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh job kind for this test; its handler is unregistered afterwards."""
    name = unique_kind(request.node.name.removeprefix("test_")[:20])
    yield name
    unregister(name)
