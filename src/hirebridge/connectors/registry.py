"""Every HRIS we know by its ``externalSystem`` value: the connector class of each, one line each.

A system named in ``PLANNED`` is known but has no connector yet, so the API can answer "not supported yet" rather
than "unknown system". Adding a connector: write ``connectors/<vendor>/`` and add its line to ``CONNECTORS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from hirebridge.connectors.adp import AdpConnector
from hirebridge.connectors.bamboohr import BambooHRConnector
from hirebridge.connectors.base import Connector
from hirebridge.connectors.bob import BobConnector
from hirebridge.connectors.personio import PersonioConnector
from hirebridge.connectors.tokens import TokenStore
from hirebridge.connectors.workday import WorkdayConnector

CONNECTORS: dict[str, type[Connector]] = {
    "adp": AdpConnector,
    "bamboohr": BambooHRConnector,
    "bob": BobConnector,
    "personio": PersonioConnector,
    "workday": WorkdayConnector,
}

# Known systems without a connector yet: slug -> display name.
PLANNED: dict[str, str] = {}


class UnsupportedSystem(ValueError):
    """The system is unknown, or known but without a connector yet."""

    def __init__(self, system: str) -> None:
        self.system = system
        self.known = is_known(system)
        super().__init__(
            f"{system!r} is not supported yet"
            if self.known
            else f"unknown HRIS system {system!r}; known: {known_systems()}"
        )


def is_known(system: str) -> bool:
    return system in CONNECTORS or system in PLANNED


def known_systems() -> list[str]:
    return sorted([*CONNECTORS, *PLANNED])


def supported_systems() -> list[str]:
    return sorted(CONNECTORS)


def display_name(system: str) -> str:
    """The system's name for people ("BambooHR"); the slug itself if it is unknown."""
    connector = CONNECTORS.get(system)
    return connector.display_name if connector is not None else PLANNED.get(system, system)


def connector_class(system: str) -> type[Connector]:
    """The connector of ``system``; UnsupportedSystem if there is none."""
    connector = CONNECTORS.get(system)
    if connector is None:
        raise UnsupportedSystem(system)
    return connector


def make_connector(
    system: str,
    *,
    base_url: str,
    credentials: Mapping[str, Any],
    field_mapping: Mapping[str, Any],
    settings: Mapping[str, Any],
    http: httpx.Client,
    token_store: TokenStore | None = None,
) -> Connector:
    """The connector for one connection. Never raises for bad credentials: the first call fails with AuthError.

    ``token_store``: where a connector whose HRIS issues access tokens keeps them (shared by every worker); a
    connector without tokens ignores it, one with tokens falls back to this process's memory."""
    connector = connector_class(system)
    made = connector(
        base_url=base_url or connector.default_base_url,
        credentials=credentials,
        field_mapping=field_mapping,
        settings=settings,
        http=http,
    )
    use_token_store = getattr(made, "use_token_store", None)
    if token_store is not None and use_token_store is not None:
        use_token_store(token_store)
    return made
