"""The contract every connector passes against its vendor's simulator, over a real socket.

A ``Vendor`` says how to start its simulator and what a vendor-side refusal looks like; ``test_contract.py`` runs
the same checks for each. The simulators were written from the vendors' docs independently of the connectors, so
agreement here is evidence, not an echo.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from hirebridge.connectors.base import Connector, Hire
from hirebridge.connectors.registry import make_connector
from hirebridge.connectors.transport import make_http_client
from tests.support.servers import serve


@dataclasses.dataclass(frozen=True)
class Vendor:
    system: str
    make_app: Callable[..., Any]  # keyword ``read_lag_seconds`` where the vendor lags
    credentials: dict[str, str]
    bad_credentials: dict[str, str]
    settings: dict[str, Any]
    # A hire the HRIS itself refuses (not our pre-flight checks), and a fragment of the HRIS's words for it.
    refused_hire: Callable[[], Hire]
    refusal_says: str
    first_name_of: Callable[[dict[str, Any]], Any]
    lags: bool = False


@dataclasses.dataclass
class Simulator:
    vendor: Vendor
    base_url: str
    admin: httpx.Client

    def connector(
        self,
        *,
        credentials: dict[str, str] | None = None,
        timeout: float = 5.0,
        field_mapping: dict[str, Any] | None = None,
    ) -> tuple[Connector, httpx.Client]:
        http = make_http_client(timeout=timeout, on_exchange=None, allow_private_network=True)
        connector = make_connector(
            self.vendor.system,
            base_url=self.base_url,
            credentials=credentials or self.vendor.credentials,
            field_mapping=field_mapping or {},
            settings=self.vendor.settings,
            http=http,
        )
        return connector, http

    def faults(self, **switches: Any) -> None:
        self.admin.put("/_sandbox/faults", json=switches).raise_for_status()

    def records(self) -> list[dict[str, Any]]:
        answer = self.admin.get("/_sandbox/records")
        answer.raise_for_status()
        records: list[dict[str, Any]] = answer.json()["records"]
        return records

    def record(self, remote_id: str) -> dict[str, Any]:
        [found] = [r for r in self.records() if str(r.get("id")) == remote_id]
        return found


@contextlib.contextmanager
def running(vendor: Vendor, **app_options: Any) -> Iterator[Simulator]:
    with serve(vendor.make_app(**app_options)) as base_url, httpx.Client(base_url=base_url, timeout=10) as admin:
        yield Simulator(vendor, base_url, admin)
