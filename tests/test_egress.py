"""The outbound address guard, over real sockets: private destinations are refused before anything is sent."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from hirebridge.connectors.errors import RejectedError
from hirebridge.connectors.registry import make_connector
from hirebridge.connectors.transport import make_http_client
from hirebridge.delivery.handlers import GiveUp, JobContext
from hirebridge.delivery.webhook import KIND, deliver
from hirebridge.egress import GuardedTransport, blocked, is_public
from hirebridge.runtime import Runtime
from hirebridge.settings import Settings
from tests.hris.helpers import a_hire
from tests.support.servers import serve


class Counter:
    def __init__(self) -> None:
        self.requests = 0
        self.app = FastAPI()

        @self.app.api_route("/{path:path}", methods=["GET", "POST"])
        async def anything(request: Request, path: str) -> Response:
            self.requests += 1
            return Response("reached", status_code=200)


@pytest.fixture
def target() -> Iterator[tuple[Counter, str]]:
    counter = Counter()
    with serve(counter.app) as url:
        yield counter, url


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # shared address space (CGNAT)
        ("0.0.0.0", False),  # noqa: S104
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("::ffff:10.0.0.1", False),
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("::ffff:8.8.8.8", True),
    ],
)
def test_which_addresses_are_public(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_private_destination_is_refused_before_anything_is_sent(target: tuple[Counter, str], host: str) -> None:
    counter, url = target
    port = urlsplit(url).port
    guarded = httpx.Client(transport=GuardedTransport(allow_private=False))
    with guarded as client, pytest.raises(httpx.ConnectError) as e:
        client.get(f"http://{host}:{port}/anything")
    refused = blocked(e.value)
    assert refused is not None
    assert "not a public address" in str(refused)
    assert "HIREBRIDGE_ALLOW_PRIVATE_NETWORK" in str(refused)
    assert counter.requests == 0


def test_allowing_private_networks_reaches_the_same_server(target: tuple[Counter, str]) -> None:
    counter, url = target
    with httpx.Client(transport=GuardedTransport(allow_private=True)) as client:
        assert client.get(f"{url}/anything").text == "reached"
    assert counter.requests == 1


def test_an_unresolvable_host_is_an_ordinary_connect_error() -> None:
    guarded = httpx.Client(transport=GuardedTransport(allow_private=False))
    with guarded as client, pytest.raises(httpx.ConnectError) as e:
        client.get("http://no-such-host.invalid/")
    assert blocked(e.value) is None


def test_a_connector_aimed_at_a_private_address_is_rejected_not_retried(target: tuple[Counter, str]) -> None:
    counter, url = target
    with make_http_client(timeout=5, on_exchange=None) as http:
        connector = make_connector(
            "bamboohr",
            base_url=url,
            credentials={"companyDomain": "acme", "apiKey": "k" * 20},
            field_mapping={},
            settings={},
            http=http,
        )
        with pytest.raises(RejectedError) as caught:
            connector.create(connector.build_payload(a_hire()))
    assert type(caught.value) is RejectedError
    assert "refused to connect to the HRIS" in caught.value.message
    assert counter.requests == 0


def test_a_webhook_to_a_private_address_gives_up_with_the_reason(
    settings: Settings, target: tuple[Counter, str]
) -> None:
    counter, url = target
    guarded = Runtime.from_settings(settings.model_copy(update={"allow_private_network": False}))
    try:
        ctx = JobContext(
            runtime=guarded,
            job_id="job",
            organization_id="org",
            kind=KIND,
            payload={"url": f"{url}/hook", "body": "{}"},
            attempt_number=1,
            max_attempts=10,
            worker_id="test",
            interrupted=False,
            lease_seconds=30,
            attempt_id="attempt",
        )
        outcome = deliver(ctx)
    finally:
        guarded.close()
    assert isinstance(outcome, GiveUp)
    assert "refused to connect to the receiver" in outcome.message
    assert counter.requests == 0


def test_private_networks_are_allowed_by_default_only_in_demo_mode() -> None:
    assert Settings(demo=False).private_network_allowed is False
    assert Settings(demo=True).private_network_allowed is True
    assert Settings(demo=True, allow_private_network=False).private_network_allowed is False
    assert Settings(demo=False, allow_private_network=True).private_network_allowed is True
