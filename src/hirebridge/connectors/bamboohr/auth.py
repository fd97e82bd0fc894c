"""BambooHR credentials and how a call carries them: HTTP Basic with the API key as the user name.

documentation.bamboohr.com "Authentication": the API key is the user name; the password may be any string.
"""

from __future__ import annotations

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr


class BambooHRCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    company_domain: str = Field(alias="companyDomain", pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}$")
    api_key: SecretStr = Field(alias="apiKey", min_length=1, max_length=500)


def basic_auth(credentials: BambooHRCredentials) -> httpx.Auth:
    return httpx.BasicAuth(credentials.api_key.get_secret_value(), "x")
