"""The generic webhook kind against a real receiver on a socket."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI, Request, Response

from hirebridge.delivery.backoff import Backoff
from hirebridge.delivery.models import JobState
from hirebridge.delivery.webhook import KIND, enqueue_webhook, redacted_url
from hirebridge.delivery.worker import Worker
from hirebridge.runtime import Runtime
from tests.delivery.helpers import load_attempts, load_job, wait_for
from tests.support.servers import serve


class Receiver:
    """Answers each POST with the next scripted status and keeps what it received."""

    def __init__(self) -> None:
        self.script: list[tuple[int, dict[str, str], str]] = []
        self.received: list[tuple[bytes, dict[str, str]]] = []
        self.app = FastAPI()

        @self.app.post("/hook")
        async def hook(request: Request) -> Response:
            self.received.append((await request.body(), dict(request.headers)))
            status, headers, body = self.script.pop(0) if self.script else (200, {}, "ok")
            return Response(body, status_code=status, headers=headers)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    rec = Receiver()
    with serve(rec.app) as url:
        yield rec, url


@pytest.fixture
def worker(runtime: Runtime) -> Iterator[Worker]:
    w = Worker(runtime, 2, lease_seconds=30, idle_sleep=0.05, kinds=[KIND])
    w.start()
    yield w
    w.stop()


def test_webhook_retries_after_retry_after_and_sends_the_same_signed_bytes(
    runtime: Runtime, org_id: str, receiver: tuple[Receiver, str], worker: Worker
) -> None:
    rec, url = receiver
    rec.script = [(503, {"Retry-After": "1"}, "busy"), (200, {}, "thanks")]
    body = '{"webhookActionId":"abc","action":"pushToHRIS","data":{}}'
    with runtime.transaction() as session:
        job_id = enqueue_webhook(
            session,
            organization_id=org_id,
            url=f"{url}/hook?token=secret-token",
            body=body,
            headers={"Ashby-Signature": "sha256=00ff"},
            backoff=Backoff(base_seconds=0.01, cap_seconds=0.01),
        ).id
    wait_for(lambda: load_job(runtime, job_id).state == JobState.SUCCEEDED)

    assert [raw for raw, _ in rec.received] == [body.encode(), body.encode()]
    assert all(headers["ashby-signature"] == "sha256=00ff" for _, headers in rec.received)
    first, second = load_attempts(runtime, job_id)
    assert (first.outcome, first.http_status, first.message) == ("retry", 503, "HTTP 503: busy")
    assert (second.started_at - first.finished_at).total_seconds() >= 1, "Retry-After was not honoured"
    assert (second.outcome, second.http_status) == ("succeeded", 200)
    assert second.exchanges[0]["status"] == 200
    assert "secret-token" not in str(first.exchanges) + str(second.exchanges)


def test_webhook_gives_up_on_a_no_retry_status_with_the_receivers_words(
    runtime: Runtime, org_id: str, receiver: tuple[Receiver, str], worker: Worker
) -> None:
    rec, url = receiver
    rec.script = [(410, {}, "this hook is gone")]
    with runtime.transaction() as session:
        job_id = enqueue_webhook(
            session, organization_id=org_id, url=f"{url}/hook", body="{}", no_retry_statuses=[401, 403, 404, 410]
        ).id
    wait_for(lambda: load_job(runtime, job_id).state == JobState.FAILED)
    job = load_job(runtime, job_id)
    assert (job.attempts, job.last_error) == (1, "HTTP 410: this hook is gone")
    assert len(rec.received) == 1


def test_webhook_retries_when_the_receiver_cannot_be_reached(runtime: Runtime, org_id: str, worker: Worker) -> None:
    with serve(FastAPI()) as url:
        dead_url = f"{url}/hook"  # nothing listens here once the block ends
    with runtime.transaction() as session:
        job_id = enqueue_webhook(
            session,
            organization_id=org_id,
            url=dead_url,
            body="{}",
            max_attempts=2,
            backoff=Backoff(base_seconds=0.01, cap_seconds=0.01),
        ).id
    wait_for(lambda: load_job(runtime, job_id).state == JobState.FAILED)
    job = load_job(runtime, job_id)
    assert job.attempts == 2
    assert job.last_error == "could not reach the receiver: ConnectError"


def test_redacted_url_drops_credentials_and_query() -> None:
    assert redacted_url("https://user:pw@example.com:8443/p/a?token=x") == "https://example.com:8443/p/a?…"
