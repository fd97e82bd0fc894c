"""Personio beyond the contract suite: custom attributes (``dynamic_<uid>``) through the field mapping, refused in
Personio's words when the API credentials may not write them, and the auth endpoint's cool-down honoured."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from hirebridge.connectors.base import Connector
from hirebridge.connectors.errors import RejectedError, RetryableError
from hirebridge.connectors.registry import make_connector
from hirebridge.connectors.transport import make_http_client
from tests.hris.contract import Simulator, running
from tests.hris.helpers import a_hire
from tests.hris.kits import _personio


@contextlib.contextmanager
def _connector(sim: Simulator, field_mapping: dict[str, Any]) -> Iterator[Connector]:
    with make_http_client(timeout=5.0, on_exchange=None, allow_private_network=True) as http:
        yield make_connector(
            "personio",
            base_url=sim.base_url,
            credentials=sim.kit.credentials,
            field_mapping=field_mapping,
            settings={},
            http=http,
        )


def test_custom_attributes_go_through_the_field_mapping() -> None:
    with running(_personio()) as sim, _connector(sim, {"phone": "dynamic_1001", "location": None}) as connector:
        hire = a_hire(phone="DE89 3704 0044 0532 0130 00")
        payload = connector.build_payload(hire)
        assert payload["employee"]["custom_attributes"] == {"dynamic_1001": "DE89 3704 0044 0532 0130 00"}
        assert "office" not in payload["employee"]
        connector.create(payload)
        [record] = sim.hires()
    assert record["dynamic_1001"] == "DE89 3704 0044 0532 0130 00"


def test_a_custom_attribute_the_credentials_may_not_write_is_refused_in_personios_words() -> None:
    with running(_personio()) as sim, _connector(sim, {"phone": "dynamic_9999"}) as connector:
        with pytest.raises(RejectedError) as caught:
            connector.create(connector.build_payload(a_hire()))
        assert sim.hires() == []
    assert caught.value.http_status == 422
    assert caught.value.message == "The custom attribute dynamic_9999 is not allowed for these API credentials."


def test_the_auth_endpoints_cool_down_is_waited_out() -> None:
    with running(_personio()) as sim, _connector(sim, {}) as connector:
        sim.admin.put("/_sandbox/settings", json={"auth_limit_per_minute": 1}).raise_for_status()
        sim.admin.post("/v1/auth", json={"client_id": "x", "client_secret": "y"})  # uses the minute's one call
        with pytest.raises(RetryableError) as caught:
            connector.create(connector.build_payload(a_hire()))
        assert sim.hires() == []
    assert (caught.value.http_status, caught.value.retry_after) == (429, 60.0)
