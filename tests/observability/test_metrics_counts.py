"""/metrics of a real `hirebridge serve` process (API and delivery workers in one process) moves by exactly what was
done: 3 hires pushed to a BambooHR simulator that succeed and 1 it refuses (a second employee with the same work
email: 409), each announced by a pushToHRIS webhook. Read before, act, read after."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hirebridge.db.migrate import upgrade
from tests.ats.hris_helpers import set_faults
from tests.observability.scenario import scenario
from tests.observability.support import ObservedCluster, Samples, delta, value, wait_until
from tests.support.databases import fresh_database

PUSH_ROUTE = "/candidate.pushToHris"
OUTCOMES = ("succeeded", "failed")


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[ObservedCluster]:
    with fresh_database() as url:
        upgrade(url)
        cluster = ObservedCluster(url, tmp_path)
        try:
            cluster.start_serve(workers=2)
            yield cluster
        finally:
            cluster.close()


def test_counters_move_by_exactly_the_pushes_made(deployment: ObservedCluster) -> None:
    with scenario(deployment.runtime, deployment.api_url) as hires:
        first = hires.hiring()
        hirings = [first, hires.hiring(), hires.hiring()]
        twin = hires.hiring(email=first.email)  # BambooHR refuses a second employee with the same work email

        before = deployment.scrape()
        results = [hires.push(hiring) for hiring in hirings]
        refused = hires.push(twin)
        hires.webhooks_received(4)

        def settled() -> Samples | None:
            # A worker counts an attempt right after recording it; the push reads as ended a moment before that.
            now = deployment.scrape()
            pushes = sum(delta(before, now, "hirebridge_pushes_total", hris="bamboohr", outcome=o) for o in OUTCOMES)
            hooks = delta(before, now, "hirebridge_webhook_deliveries_total", outcome="succeeded")
            return now if pushes >= 4 and hooks >= 4 else None

        after: Samples = wait_until(settled, 30, "the counters of 4 pushes and 4 webhooks")

    assert [r["state"] for r in results] == ["succeeded"] * 3
    assert refused["state"] == "failed"
    assert "already exists" in refused["errorMessage"]

    assert delta(before, after, "hirebridge_pushes_total", hris="bamboohr", outcome="succeeded") == 3
    assert delta(before, after, "hirebridge_pushes_total", hris="bamboohr", outcome="failed") == 1
    assert delta(before, after, "hirebridge_push_attempts_total", hris="bamboohr", outcome="succeeded") == 3
    assert delta(before, after, "hirebridge_push_attempts_total", hris="bamboohr", outcome="rejected") == 1
    assert delta(before, after, "hirebridge_push_attempt_duration_seconds_count", hris="bamboohr") == 4
    assert delta(before, after, "hirebridge_push_attempt_duration_seconds_sum", hris="bamboohr") > 0
    # Each push made at least its create call; every one of those calls is timed.
    assert delta(before, after, "hirebridge_hris_request_duration_seconds_count", hris="bamboohr") >= 4
    assert delta(before, after, "hirebridge_webhook_deliveries_total", outcome="succeeded") == 4
    assert delta(before, after, "hirebridge_webhook_deliveries_total", outcome="retry") == 0
    # Nothing was counted under an unknown HRIS or with another outcome.
    names = ("hirebridge_pushes_total", "hirebridge_push_attempts_total")
    moved = {
        (name, labels)
        for (name, labels), number in after.items()
        if name in names and number != before.get((name, labels), 0.0)
    }
    assert {dict(labels)["hris"] for _, labels in moved} == {"bamboohr"}
    assert {dict(labels)["outcome"] for _, labels in moved} == {"succeeded", "failed", "rejected"}

    # Ashby answers a refused push with HTTP 200 (success: false): 4 calls, by route template.
    assert delta(before, after, "hirebridge_http_requests_total", method="POST", route=PUSH_ROUTE, status="200") == 4
    assert delta(before, after, "hirebridge_http_request_duration_seconds_count", method="POST", route=PUSH_ROUTE) == 4

    # The queue is empty again and the serve process's workers are beating.
    for kind in ("hris_push", "webhook"):
        for state in ("pending", "running"):
            assert value(after, "hirebridge_queue_jobs", kind=kind, state=state) == 0
        assert value(after, "hirebridge_queue_due_jobs", kind=kind) == 0
    assert value(after, "hirebridge_workers_alive") == 1
    assert value(after, "hirebridge_metrics_database_up") == 1


def test_hris_throttling_is_counted_as_rate_limit_waits_not_failures(deployment: ObservedCluster) -> None:
    with scenario(deployment.runtime, deployment.api_url) as hires:
        before = deployment.scrape()
        set_faults(hires.simulator_url, throttle_rate=1.0, retry_after_seconds=1)  # every call: 429, Retry-After 1
        hiring = hires.hiring()
        answer = hires.ats.post(
            "/candidate.pushToHris", json={"applicationId": hiring.application_id, "externalSystem": "bamboohr"}
        ).json()
        push_id = answer["results"]["id"]

        def throttled_twice() -> bool:
            waits = delta(
                before, deployment.scrape(), "hirebridge_rate_limit_waits_total", hris="bamboohr", limiter="hris"
            )
            return waits >= 2

        wait_until(throttled_twice, 60, "two throttled attempts counted")
        set_faults(hires.simulator_url, throttle_rate=0.0)
        result = hires.finished(push_id)
        hires.webhooks_received(1)

        def settled() -> Samples | None:
            now = deployment.scrape()
            return now if delta(before, now, "hirebridge_pushes_total", hris="bamboohr", outcome="succeeded") else None

        after: Samples = wait_until(settled, 30, "the push counted")

    assert result["state"] == "succeeded"
    waits = delta(before, after, "hirebridge_rate_limit_waits_total", hris="bamboohr", limiter="hris")
    assert waits >= 2
    # Each 429 was a wait, not a spent attempt: the push succeeded at its first attempt, and nothing failed.
    assert delta(before, after, "hirebridge_push_attempts_total", hris="bamboohr", outcome="waited") == waits
    assert delta(before, after, "hirebridge_push_attempts_total", hris="bamboohr", outcome="succeeded") == 1
    assert delta(before, after, "hirebridge_push_attempts_total", hris="bamboohr", outcome="retry") == 0
    assert delta(before, after, "hirebridge_pushes_total", hris="bamboohr", outcome="failed") == 0
    assert result["attempts"] == 1


def test_waits_for_the_connections_own_rate_limit_are_counted(deployment: ObservedCluster) -> None:
    with scenario(deployment.runtime, deployment.api_url, rate_per_second=0.5) as hires:  # one call per 2 s
        before = deployment.scrape()
        results = [hires.push(hires.hiring()) for _ in range(2)]  # the second's call waits for the first's slot
        hires.webhooks_received(2)
        after = deployment.scrape()

    assert [r["state"] for r in results] == ["succeeded"] * 2
    waits = delta(before, after, "hirebridge_rate_limit_waits_total", hris="bamboohr", limiter="hirebridge")
    waited = delta(before, after, "hirebridge_rate_limit_wait_seconds_total", hris="bamboohr")
    assert waits >= 1
    assert 0 < waited <= 2.0 * waits  # no slot is further than 1/rate from the one before
    assert delta(before, after, "hirebridge_rate_limit_waits_total", hris="bamboohr", limiter="hris") == 0
