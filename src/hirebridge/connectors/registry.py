"""Every HRIS we know by its ``externalSystem`` value, and the one function that builds a connector for it.

Workday and ADP are known but not implemented yet, so the API can answer "not supported yet" rather than
"unknown system".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from hirebridge.hris.bamboohr import BambooHRConnector, BambooHRCredentials
from hirebridge.hris.base import Connector
from hirebridge.hris.bob import BobConnector, BobCredentials


class WorkdayCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(min_length=1, max_length=100)
    username: str = Field(min_length=1, max_length=200)
    password: SecretStr = Field(min_length=1, max_length=500)


class AdpCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    client_id: str = Field(alias="clientId", min_length=1, max_length=200)
    client_secret: SecretStr = Field(alias="clientSecret", min_length=1, max_length=500)
    certificate_pem: SecretStr = Field(alias="certificatePem", min_length=1, max_length=20_000)
    private_key_pem: SecretStr = Field(alias="privateKeyPem", min_length=1, max_length=20_000)


@dataclass(frozen=True)
class SystemInfo:
    system: str
    display_name: str
    credentials_model: type[BaseModel]
    requires_accepted_offer_default: bool
    rate_limit_default: float  # requests per second per connection
    default_base_url: str
    connector_cls: type[BambooHRConnector] | type[BobConnector] | None

    @property
    def implemented(self) -> bool:
        return self.connector_cls is not None


SYSTEMS: dict[str, SystemInfo] = {
    "bamboohr": SystemInfo(
        system="bamboohr",
        display_name="BambooHR",
        credentials_model=BambooHRCredentials,
        requires_accepted_offer_default=True,
        rate_limit_default=2.0,  # BambooHR publishes no numbers, only "be ready for 503"
        default_base_url="https://api.bamboohr.com",
        connector_cls=BambooHRConnector,
    ),
    "bob": SystemInfo(
        system="bob",
        display_name="HiBob (Bob)",
        credentials_model=BobCredentials,
        requires_accepted_offer_default=True,
        rate_limit_default=0.8,  # people search allows 50 a minute
        default_base_url="https://api.hibob.com",
        connector_cls=BobConnector,
    ),
    "workday": SystemInfo(
        system="workday",
        display_name="Workday",
        credentials_model=WorkdayCredentials,
        requires_accepted_offer_default=True,
        rate_limit_default=1.0,
        default_base_url="https://wd2-impl-services1.workday.com",
        connector_cls=None,
    ),
    "adp": SystemInfo(
        system="adp",
        display_name="ADP Workforce Now",
        credentials_model=AdpCredentials,
        requires_accepted_offer_default=True,
        rate_limit_default=1.0,
        default_base_url="https://api.adp.com",
        connector_cls=None,
    ),
}


class UnsupportedSystem(ValueError):
    """The system is unknown, or known but without a connector yet."""

    def __init__(self, system: str) -> None:
        known = system in SYSTEMS
        super().__init__(
            f"{system!r} is not supported yet" if known else f"unknown HRIS system {system!r}; known: {sorted(SYSTEMS)}"
        )
        self.system = system
        self.known = known


def make_connector(
    system: str,
    *,
    base_url: str,
    credentials: Mapping[str, Any],
    field_mapping: Mapping[str, Any],
    settings: Mapping[str, Any],
    http: httpx.Client,
) -> Connector:
    """The connector for one connection. Never raises for bad credentials: the first call fails with AuthFailed."""
    info = SYSTEMS.get(system)
    if info is None or info.connector_cls is None:
        raise UnsupportedSystem(system)
    return info.connector_cls(
        base_url=base_url or info.default_base_url,
        credentials=credentials,
        field_mapping=field_mapping,
        settings=settings,
        http=http,
    )
