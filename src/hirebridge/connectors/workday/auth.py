"""Workday credentials and how a call carries them: a WS-Security UsernameToken with ``user@tenant`` and the password
as PasswordText, in the SOAP header of every request.

OASIS "Web Services Security UsernameToken Profile 1.0" (2004): ``wsse:Security/wsse:UsernameToken`` with
``wsse:Username`` and ``wsse:Password Type="...#PasswordText"``. Workday's integration system users sign in as
``ISU_NAME@tenant`` (go-workday commit 37fb1de, ``pkg/wws/client.go`` and ``wss.go``; pinned schema
``specs/workday/v31.2/wsse-secext.xsd``).
"""

from __future__ import annotations

from lxml import etree
from pydantic import BaseModel, ConfigDict, Field, SecretStr

WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
PASSWORD_TEXT = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"  # noqa: S105 - a URI


class WorkdayCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    tenant: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
    # The integration system user, without "@tenant" (added on every call); "ISU_HIREBRIDGE@acme" is accepted too.
    username: str = Field(min_length=1, max_length=200, pattern=r"^[^\s<>&]+$")
    password: SecretStr = Field(min_length=1, max_length=500)

    def qualified_username(self) -> str:
        """``user@tenant``; a user name already ending in ``@tenant`` is used as it is."""
        suffix = f"@{self.tenant}"
        return self.username if self.username.endswith(suffix) else self.username + suffix


def security_header(credentials: WorkdayCredentials, *, password: str | None = None) -> etree._Element:
    """``wsse:Security`` for a SOAP header; ``password`` replaces the real one (a preview shows it redacted)."""
    security = etree.Element(f"{{{WSSE}}}Security", nsmap={"wsse": WSSE})
    token = etree.SubElement(security, f"{{{WSSE}}}UsernameToken")
    etree.SubElement(token, f"{{{WSSE}}}Username").text = credentials.qualified_username()
    secret = etree.SubElement(token, f"{{{WSSE}}}Password", {"Type": PASSWORD_TEXT})
    secret.text = credentials.password.get_secret_value() if password is None else password
    return security
