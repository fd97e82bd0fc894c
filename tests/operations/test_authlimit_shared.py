"""Failed-authentication limits are one budget for every API process: two `hirebridge serve` processes on one
database, failures spread across both, and the limit holds as if there were one. A successful authentication does
not touch the counts (the check is in memory), and a failure writes them with one statement."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from hirebridge.app import create_app
from hirebridge.db.migrate import upgrade
from hirebridge.orgs.service import IssuedCredentials, create_organization
from hirebridge.runtime import Runtime
from hirebridge.settings import Settings
from tests.fault.cluster import Cluster
from tests.hardening import sensitive
from tests.support.databases import fresh_database
from tests.support.servers import serve

PER_CREDENTIAL = 4
PER_ADDRESS = 10


@pytest.fixture
def two_apis(tmp_path: Any) -> Iterator[tuple[Cluster, list[str]]]:
    with fresh_database() as url:
        upgrade(url)
        deployment = Cluster(url, tmp_path, lease_seconds=60.0, push_wait_seconds=1.0)
        deployment.env.update(
            {
                "HIREBRIDGE_AUTH_FAILURES_PER_CREDENTIAL": str(PER_CREDENTIAL),
                "HIREBRIDGE_AUTH_FAILURES_PER_ADDRESS": str(PER_ADDRESS),
                "HIREBRIDGE_AUTH_FAILURE_WINDOW_SECONDS": "600",
            }
        )
        try:
            urls = [deployment.start_api(), deployment.start_api()]
            yield deployment, urls
        finally:
            deployment.close()


def _organization(rt: Runtime) -> IssuedCredentials:
    with rt.transaction() as session:
        credentials = create_organization(session, "Shared limits")
    sensitive.SENSITIVE.add("client secret", credentials.client_secret)
    sensitive.SENSITIVE.add("api key", credentials.api_key)
    return credentials


def _token(client: httpx.Client, url: str, client_id: str, secret: str) -> httpx.Response:
    return client.post(
        f"{url}/partner/oauth2/token", auth=(client_id, secret), json={"grant_type": "client_credentials"}
    )


def _info(client: httpx.Client, url: str, key: str) -> httpx.Response:
    return client.post(f"{url}/apiKey.info", auth=(key, ""), json={})


def _from(source: str) -> httpx.Client:
    return httpx.Client(timeout=30, transport=httpx.HTTPTransport(local_address=source))


def _limited(response: httpx.Response) -> bool:
    if response.status_code != 429:
        return False
    assert 0 < int(response.headers["Retry-After"]) <= 600
    return True


@pytest.mark.slow
def test_failures_spread_over_two_processes_spend_one_budget(two_apis: tuple[Cluster, list[str]]) -> None:
    cluster, urls = two_apis
    a, b = _organization(cluster.runtime), _organization(cluster.runtime)
    alternate = itertools.cycle(urls)

    # One client id's wrong secrets, alternately to each process: PER_CREDENTIAL refusals in all, then 429 on both.
    with _from("127.0.0.2") as client:
        answers = [_token(client, next(alternate), a.client_id, "wrong-secret") for _ in range(PER_CREDENTIAL + 4)]
        assert [r.status_code for r in answers[:PER_CREDENTIAL]] == [401] * PER_CREDENTIAL
        assert all(_limited(r) for r in answers[PER_CREDENTIAL:]), [r.status_code for r in answers]
        assert answers[-1].json()["error_code"] == "too_many_failed_attempts"
        # Held back on both processes even with the right secret; another client from here is not.
        assert all(_limited(_token(client, url, a.client_id, a.client_secret)) for url in urls)
        assert all(_token(client, url, b.client_id, b.client_secret).status_code == 200 for url in urls)

    # Wrong ATS API keys (each a different prefix) from one address, alternately: PER_ADDRESS refusals in all.
    with _from("127.0.0.3") as client:
        wrong = [f"hbk_{n:08d}-not-a-key" for n in range(PER_ADDRESS + 4)]
        answers = [_info(client, next(alternate), key) for key in wrong]
        assert [r.status_code for r in answers[:PER_ADDRESS]] == [403] * PER_ADDRESS
        assert all(_limited(r) for r in answers[PER_ADDRESS:]), [r.status_code for r in answers]
        assert answers[-1].json()["errors"] == ["too_many_failed_attempts"]
        assert all(_limited(_info(client, url, b.api_key)) for url in urls)
    with _from("127.0.0.4") as client:
        assert all(_info(client, url, b.api_key).json()["success"] is True for url in urls)


def test_success_reads_no_counts_and_a_failure_writes_them_in_one_statement(settings: Settings) -> None:
    rt = Runtime.from_settings(settings)
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(rt.engine, "before_cursor_execute", seen)
    try:
        org = _organization(rt)
        with serve(create_app(rt)) as url, httpx.Client(timeout=30) as client:
            statements.clear()
            assert _token(client, url, org.client_id, org.client_secret).status_code == 200
            assert _info(client, url, org.api_key).json()["success"] is True
            assert not [s for s in statements if "auth_failure_counts" in s]

            assert _token(client, url, org.client_id, "wrong-secret").status_code == 401
            writes = [s for s in statements if "auth_failure_counts" in s and not s.lstrip().startswith("DELETE")]
            assert len(writes) == 1, writes
            assert writes[0].lstrip().startswith("INSERT")
            assert "ON CONFLICT" in writes[0]
    finally:
        event.remove(rt.engine, "before_cursor_execute", seen)
        rt.close()


def test_an_over_long_client_id_is_refused_and_counted_like_any_wrong_one(settings: Settings) -> None:
    rt = Runtime.from_settings(settings.model_copy(update={"auth_failures_per_credential": 2}))
    too_long = "hbc_" + uuid.uuid4().hex * 3  # 100 characters: refused before any look-up, counted by its first 64
    try:
        with serve(create_app(rt)) as url, httpx.Client(timeout=30) as client:
            assert [_token(client, url, too_long, "x").status_code for _ in range(2)] == [401, 401]
            assert _limited(_token(client, url, too_long, "x"))
    finally:
        rt.close()
