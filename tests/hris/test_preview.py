"""``hrisPush.preview`` over real HTTP: it sends nothing, and the request it shows is the request the push then sends,
as the simulator received it (its ``/_sandbox/requests`` journal), for every connector."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from hirebridge.connectors.base import REDACTED
from hirebridge.orgs.service import IssuedCredentials
from hirebridge.runtime import Runtime
from tests.ats.hris_helpers import call, error_code
from tests.hris.contract import Service, Simulator, running
from tests.hris.kits import Kit, kits


@pytest.fixture(params=kits(), ids=lambda make: make().system)
def sim(request: pytest.FixtureRequest) -> Iterator[Simulator]:
    make: Callable[[], Kit] = request.param
    with running(make()) as simulator:
        yield simulator


def _journal(sim: Simulator) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = sim.admin.get("/_sandbox/requests").json()["requests"]
    return calls


def _secrets(kit: Kit) -> list[str]:
    return [value for key, value in kit.credentials.items() if key in ("apiKey", "token", "password")]


def _assert_sent_as_previewed(preview: dict[str, Any], sent: dict[str, Any], kit: Kit) -> None:
    assert sent["method"] == preview["method"]
    assert sent["path"] == preview["path"]
    if isinstance(preview["body"], str):  # a SOAP envelope: the same text, its password redacted in the preview
        received = sent["body"]
        for secret in _secrets(kit):
            received = received.replace(secret, REDACTED)
        assert received == preview["body"]
    else:
        assert json.loads(sent["body"]) == preview["body"]
    for name, value in preview["headers"].items():
        if value.endswith(REDACTED):
            assert sent["headers"][name.lower()] == "[redacted]"  # sent, with a value the journal hides too
        else:
            assert sent["headers"][name.lower()] == value, name


def test_preview_is_what_the_push_sends_create_then_update(
    sim: Simulator, ats: httpx.Client, runtime: Runtime, org: IssuedCredentials
) -> None:
    service = Service(ats, runtime, org)
    service.connect(sim)
    hiring = service.hiring()
    body = {"applicationId": hiring.application_id, "externalSystem": sim.kit.system}

    answer = call(ats, "hrisPush.preview", body)
    assert answer["success"] is True, answer
    first = answer["results"]
    assert (first["system"], first["operation"], first["remoteId"]) == (sim.kit.system, "create", None)
    assert first["request"]["url"].startswith(sim.base_url)
    authorization = first["request"]["headers"].get("Authorization")  # Workday's credentials ride in the body
    assert authorization is None or authorization.endswith(REDACTED)
    for secret in _secrets(sim.kit):
        assert secret not in json.dumps(answer)
    assert _journal(sim) == []  # the preview sent nothing
    assert sim.hires() == []

    push = service.settled(service.start(sim, hiring))
    assert push["state"] == "succeeded", push["errorMessage"]
    sent = first["request"]
    [created] = [c for c in _journal(sim) if (c["method"], c["path"]) == (sent["method"], sent["path"])]
    _assert_sent_as_previewed(first["request"], created, sim.kit)

    by_id = {"applicationId": hiring.application_id, "hrisConnectionId": push["hrisConnectionId"]}
    second = call(ats, "hrisPush.preview", by_id)["results"]
    if sim.kit.no_updates:  # a re-push sends nothing, and the preview says so
        assert (second["operation"], second["remoteId"], second["request"]) == ("none", push["remoteId"], None)
        return
    assert (second["operation"], second["remoteId"]) == ("update", push["remoteId"])
    seen = len(_journal(sim))
    again = service.settled(service.start(sim, hiring))
    assert again["state"] == "succeeded", again["errorMessage"]
    [updated] = _journal(sim)[seen:]
    _assert_sent_as_previewed(second["request"], updated, sim.kit)


def test_preview_refusals_name_the_problem(ats: httpx.Client, runtime: Runtime, org: IssuedCredentials) -> None:
    service = Service(ats, runtime, org)
    hiring = service.hiring()
    both = {"applicationId": hiring.application_id, "externalSystem": "bob", "hrisConnectionId": hiring.candidate_id}
    assert error_code(call(ats, "hrisPush.preview", both)) == "invalid_input"
    neither = {"applicationId": hiring.application_id}
    assert error_code(call(ats, "hrisPush.preview", neither)) == "invalid_input"
    unknown = {"applicationId": hiring.application_id, "hrisConnectionId": hiring.candidate_id}
    assert error_code(call(ats, "hrisPush.preview", unknown)) == "hris_connection_not_found"
    no_connection = {"applicationId": hiring.application_id, "externalSystem": "bob"}
    assert error_code(call(ats, "hrisPush.preview", no_connection)) == "hris_connection_not_found"
    other_application = {"applicationId": hiring.candidate_id, "externalSystem": "bob"}
    assert error_code(call(ats, "hrisPush.preview", other_application)) == "application_not_found"


def test_preview_says_what_the_hris_would_be_missing(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials
) -> None:
    kit = next(make() for make in kits() if make().system == "bob")
    with running(kit) as sim:
        service = Service(ats, runtime, org)
        sim_settings = dict(kit.settings)
        sim_settings.pop("defaultSite")
        body = {
            "system": "bob",
            "name": "Bob without a site",
            "baseUrl": sim.base_url,
            "credentials": kit.credentials,
            "settings": sim_settings,
        }
        assert call(ats, "hrisConnection.create", body)["success"] is True
        hiring = service.hiring()
        answer = call(ats, "hrisPush.preview", {"applicationId": hiring.application_id, "externalSystem": "bob"})
        assert error_code(answer) == "hris_push_data_invalid"
        assert "work.site" in answer["errorInfo"]["message"]
        assert _journal(sim) == []
