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
from hirebridge.egress import GuardedTransport, blocked, embedded_ipv4, is_public, url_problem
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
        # IPv6 forms that carry an IPv4 address a translator or relay delivers to
        ("::127.0.0.1", False),  # IPv4-compatible
        ("::10.0.0.1", False),
        ("64:ff9b::7f00:1", False),  # NAT64 well-known prefix: 127.0.0.1
        ("64:ff9b::a9fe:a9fe", False),  # NAT64: 169.254.169.254
        ("64:ff9b::808:808", True),  # NAT64: 8.8.8.8
        ("64:ff9b:1::808:808", False),  # NAT64 local-use prefix: never public
        ("2002:7f00:1::1", False),  # 6to4: 127.0.0.1 in bits 16-48
        ("2002:a00:1::1", False),  # 6to4: 10.0.0.1
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", False),  # Teredo, client 127.0.0.1 (obfuscated)
        ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", False),  # Teredo with a public client: not global either
    ],
)
def test_which_addresses_are_public(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize(
    ("address", "embedded"),
    [
        ("::ffff:10.0.0.1", ["10.0.0.1"]),
        ("::192.168.0.1", ["192.168.0.1"]),
        ("64:ff9b::c0a8:1", ["192.168.0.1"]),
        ("2002:c0a8:1::1", ["192.168.0.1"]),
        ("2001:0:4136:e378:8000:63bf:3f57:fefe", ["65.54.227.120", "192.168.1.1"]),
        ("2606:4700:4700::1111", []),
    ],
)
def test_the_ipv4_address_inside_an_ipv6_address(address: str, embedded: list[str]) -> None:
    assert [str(a) for a in embedded_ipv4(ipaddress.IPv6Address(address))] == embedded


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://0177.0.0.1/", "not a valid IP address"),  # octal 127.0.0.1 to resolvers
        ("http://127.1/", "not a valid IP address"),
        ("http://2130706433/", "not a valid IP address"),
        ("http://0x7f.0.0.1/", "not a valid IP address"),
        ("http://[::1/", "not a valid URL"),
        ("http://example.com:99999/", "not a valid URL"),
        ("ftp://example.com/", "http:// or https://"),
        ("javascript:alert(1)", "http:// or https://"),
        ("example.com/hook", "http:// or https://"),
        ("https://user:pass@example.com/", "user name or password"),
        ("https://bad_host!.example.com/", "host name that is not valid"),
        ("http://127.0.0.1:8080/", "not a public address"),
        ("http://[64:ff9b::7f00:1]/", "not a public address"),
        ("http://[2002:7f00:1::1]/", "not a public address"),
        ("http://169.254.169.254/latest/meta-data", "not a public address"),
        ("http://localhost:8000/", "localhost"),
    ],
)
def test_an_unusable_url_is_named_when_it_is_stored(url: str, reason: str) -> None:
    problem = url_problem(url, allow_private=False)
    assert problem is not None
    assert reason in problem


@pytest.mark.parametrize(
    "url", ["https://hooks.example.com/a?b=c", "http://8.8.8.8/x", "https://xn--bcher-kva.de/", "https://bücher.de/"]
)
def test_a_usable_url_passes(url: str) -> None:
    assert url_problem(url, allow_private=False) is None


def test_private_addresses_pass_when_private_networks_are_allowed() -> None:
    for url in ("http://127.0.0.1:8080/", "http://localhost:8000/", "http://[::1]:80/", "http://10.0.0.1/"):
        assert url_problem(url, allow_private=True) is None
    assert url_problem("http://0177.0.0.1/", allow_private=True) is not None  # never: it is ambiguous


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
