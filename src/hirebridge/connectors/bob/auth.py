"""Bob credentials and how a call carries them: HTTP Basic ``SERVICE-USER-ID:TOKEN`` of an API service user.

apidocs.hibob.com "API service users": the service user's ID and token, sent as Basic authentication.
"""

from __future__ import annotations

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr


class BobCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    service_user_id: str = Field(alias="serviceUserId", pattern=r"^[^:\s]{1,200}$")
    token: SecretStr = Field(min_length=1, max_length=500)


def basic_auth(credentials: BobCredentials) -> httpx.Auth:
    return httpx.BasicAuth(credentials.service_user_id, credentials.token.get_secret_value())
