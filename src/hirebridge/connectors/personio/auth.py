"""Personio credentials: an API client id and secret, exchanged at ``POST /v1/auth`` for a bearer token.

developers.personio.de "Authentication" (v1): ``POST https://api.personio.de/v1/auth`` with ``client_id`` and
``client_secret`` -> ``{"success": true, "data": {"token": "papi-...", "expires_in": 86400}}``; the endpoint allows
60 requests a minute, so the token is cached (``connectors.tokens``) and fetched again only when it expires or is
refused.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class PersonioCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    client_id: str = Field(alias="clientId", min_length=1, max_length=200, pattern=r"^[^\s]+$")
    client_secret: SecretStr = Field(alias="clientSecret", min_length=1, max_length=500)
