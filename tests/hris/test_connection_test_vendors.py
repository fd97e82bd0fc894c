"""Testing a connection (``hris.connection_check``) against each vendor's simulator on a real socket: the connector's
harmless authenticated read succeeds with good credentials, is sorted as a credentials problem with the HRIS's own
words with bad ones, as unavailable when nothing listens, and leaves the HRIS's records as they were. Each result is
recorded and read back with ``last_test``; a foreign organization's connection is not found."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from hirebridge.errors import NotFound
from hirebridge.hris import connection_check
from hirebridge.hris.connections import ConnectionCreate, create_connection
from hirebridge.orgs.service import IssuedCredentials, create_organization
from hirebridge.runtime import Runtime
from tests.hardening import sensitive
from tests.hris.kits import Kit, kits

KITS = {factory().system: factory for factory in kits()}


@pytest.fixture(params=sorted(KITS))
def kit(request: pytest.FixtureRequest) -> Kit:
    made: Kit = KITS[request.param]()
    for value in [*made.credentials.values(), *made.bad_credentials.values()]:
        if "PRIVATE KEY" not in value and "CERTIFICATE" not in value and len(value) > 8:
            sensitive.SENSITIVE.add(f"{made.system} credential", value)
    return made


@pytest.fixture
def base_url(kit: Kit) -> Iterator[str]:
    with kit.serve(kit.make_app()) as url:
        with httpx.Client(base_url=url, verify=kit.admin_verify, timeout=10) as admin:
            kit.prepare(admin)
        yield url + kit.base_path


def _connection(runtime: Runtime, organization_id: str, kit: Kit, url: str, credentials: dict[str, str]) -> str:
    data = ConnectionCreate.model_validate(
        {
            "system": kit.system,
            "name": f"{kit.system} test",
            "baseUrl": url,
            "credentials": credentials,
            "settings": kit.settings,
            "rateLimitPerSecond": 50,
        }
    )
    with runtime.transaction() as session:
        return create_connection(session, runtime.cipher, organization_id, data).id


def _records(kit: Kit, url: str) -> list[dict[str, Any]]:
    root = url.removesuffix(kit.base_path) if kit.base_path else url
    answer = httpx.get(f"{root}/_sandbox/records", timeout=10, verify=kit.admin_verify).json()
    items: list[dict[str, Any]] = answer["records"]
    return items


def test_good_credentials_pass_and_nothing_changes_in_the_hris(
    runtime: Runtime, org: IssuedCredentials, kit: Kit, base_url: str
) -> None:
    connection_id = _connection(runtime, org.organization_id, kit, base_url, kit.credentials)
    before = _records(kit, base_url)

    result = connection_check.test_connection(runtime, org.organization_id, connection_id)

    assert result.ok, result
    assert result.category == "ok"
    assert result.http_status in (200, 204)
    assert result.latency_ms >= 0
    assert result.message.endswith(f"answered HTTP {result.http_status}")
    assert _records(kit, base_url) == before
    with runtime.sessions() as session:
        recorded = connection_check.last_test(session, org.organization_id, connection_id)
    assert recorded is not None
    assert (recorded.ok, recorded.category, recorded.http_status) == (True, "ok", result.http_status)


def test_bad_credentials_are_a_credentials_failure_in_the_hris_words(
    runtime: Runtime, org: IssuedCredentials, kit: Kit, base_url: str
) -> None:
    connection_id = _connection(runtime, org.organization_id, kit, base_url, kit.bad_credentials)

    result = connection_check.test_connection(runtime, org.organization_id, connection_id)

    assert not result.ok
    assert result.category == "credentials", result
    assert result.http_status in (400, 401, 403, 500), result  # Workday answers a refused password with a 500 fault
    assert result.message
    assert kit.bad_credentials.get("clientSecret", "-") not in result.message
    with runtime.sessions() as session:
        recorded = connection_check.last_test(session, org.organization_id, connection_id)
    assert recorded is not None
    assert (recorded.ok, recorded.category, recorded.message) == (False, "credentials", result.message)


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_nothing_listening_is_unavailable(runtime: Runtime, org: IssuedCredentials, closed_port: int) -> None:
    kit = KITS["bamboohr"]()
    connection_id = _connection(runtime, org.organization_id, kit, f"http://127.0.0.1:{closed_port}", kit.credentials)

    result = connection_check.test_connection(runtime, org.organization_id, connection_id)

    assert (result.ok, result.category, result.http_status) == (False, "unavailable", None)
    assert "could not connect" in result.message


def test_another_organizations_connection_is_not_found(
    runtime: Runtime, org: IssuedCredentials, closed_port: int
) -> None:
    kit = KITS["bob"]()
    connection_id = _connection(runtime, org.organization_id, kit, f"http://127.0.0.1:{closed_port}", kit.credentials)
    with runtime.transaction() as session:
        other = create_organization(session, "Other Org").organization_id

    with pytest.raises(NotFound) as raised:
        connection_check.test_connection(runtime, other, connection_id)
    assert raised.value.code == "hris_connection_not_found"
    with runtime.sessions() as session, pytest.raises(NotFound):
        connection_check.last_test(session, other, connection_id)


def test_throttled_by_the_hris_is_throttled(runtime: Runtime, org: IssuedCredentials, simulator_429: str) -> None:
    kit = KITS["bob"]()
    connection_id = _connection(runtime, org.organization_id, kit, simulator_429, kit.credentials)

    result = connection_check.test_connection(runtime, org.organization_id, connection_id)

    assert (result.ok, result.category, result.http_status) == (False, "throttled", 429)


@pytest.fixture
def simulator_429() -> Iterator[str]:
    """A Bob simulator whose every API call is throttled (its fault switch)."""
    from hirebridge.sandbox.bob.app import create_app
    from tests.support.servers import serve

    with serve(create_app()) as url:
        _set_faults(url, throttle_rate=1.0)
        yield url


def _set_faults(url: str, **switches: Any) -> None:
    response = httpx.put(f"{url}/_sandbox/faults", json=switches, timeout=10)
    assert response.status_code == 200, response.text
