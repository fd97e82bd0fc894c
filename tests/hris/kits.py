"""One small adapter ("kit") per vendor for the contract suite: how to start its simulator, make a connection to it,
read its records and flip its fault switches. Records and switches go through the simulator's own ``/_sandbox`` HTTP
API, never its code; only the app factory is imported, to start it on a socket.

A vendor joins the suite by adding its kit to ``kits()``; ``test_contract`` fails while a registered connector has
none.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import functools
import shutil
import ssl
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx

from hirebridge.connectors.base import Hire
from tests.hris.helpers import a_hire
from tests.support.servers import serve

Record = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Kit:
    system: str
    make_app: Callable[[], Any]  # a fresh simulator app
    credentials: dict[str, str]
    bad_credentials: dict[str, str]
    settings: dict[str, Any]  # the connection's settings
    # A hire the HRIS itself refuses (not our pre-flight checks), and a fragment of the HRIS's words for it.
    refused_hire: Callable[[], Hire]
    refusal_says: str
    first_name_of: Callable[[Record], Any]
    email_of: Callable[[Record], str | None]
    base_path: str = ""  # appended to the simulator's URL to make the connection's base URL
    hires_only: Callable[[list[Record]], list[Record]] = lambda records: records  # the records that are hires
    prepare: Callable[[httpx.Client], None] = lambda admin: None  # admin set-up before each case
    # Why the vendor has no tokens to expire (the token-refresh case is skipped with this reason), or None. A vendor
    # with tokens counts them at GET /_sandbox/tokens ("tokens_issued"), expires them at POST /_sandbox/tokens/expire.
    no_tokens: str | None = None
    # Why a re-push cannot change the record (the update case is skipped with this reason), or None.
    no_updates: str | None = None
    serve: Callable[[Any], AbstractContextManager[str]] = serve  # runs the app on a socket; its base URL
    admin_verify: ssl.SSLContext | bool = True  # how the admin client trusts the simulator (a test CA)


def _bamboohr() -> Kit:
    from hirebridge.sandbox.bamboohr.app import create_app

    return Kit(
        system="bamboohr",
        make_app=functools.partial(create_app, company_domain="acme", api_key="contract-api-key"),
        credentials={"companyDomain": "acme", "apiKey": "contract-api-key"},
        bad_credentials={"companyDomain": "acme", "apiKey": "wrong-key"},
        settings={},
        refused_hire=lambda: a_hire(email="not-an-email"),
        refusal_says="workEmail",
        first_name_of=lambda record: record.get("firstName"),
        email_of=lambda record: record.get("workEmail"),
        no_tokens="BambooHR authenticates every call with the API key (HTTP Basic); there is no token to expire",
    )


def bamboohr_v1() -> Kit:
    """BambooHR through the ``https://{companyDomain}.bamboohr.com/api/v1`` form of its URLs (wire cases only)."""
    return dataclasses.replace(_bamboohr(), base_path="/api/v1")


def _bob_no_lag(admin: httpx.Client) -> None:
    # Bob's reads lag its writes by up to 20 s; the suite turns the lag off and says so to the push domain too
    # (settings.readLagSeconds), so its cases are about the contract and not about waiting.
    admin.put("/_sandbox/settings", json={"read_lag_seconds": 0}).raise_for_status()


def _bob() -> Kit:
    from hirebridge.sandbox.bob.app import create_app

    return Kit(
        system="bob",
        make_app=create_app,
        credentials={"serviceUserId": "SERVICE-USER", "token": "sandbox-token"},
        bad_credentials={"serviceUserId": "SERVICE-USER", "token": "wrong-token"},
        settings={"defaultSite": "London", "readLagSeconds": 0},
        refused_hire=lambda: a_hire(location="Atlantis"),
        refusal_says="Atlantis",
        first_name_of=lambda record: record.get("firstName"),
        email_of=lambda record: record.get("email"),
        prepare=_bob_no_lag,
        no_tokens="Bob authenticates every call with the service user's ID and token (HTTP Basic); nothing expires",
    )


def _workday() -> Kit:
    from hirebridge.sandbox.workday.app import create_app

    def emails(record: Record) -> str | None:
        found = record.get("emails") or []
        return str(found[0]) if found else None

    return Kit(
        system="workday",
        make_app=functools.partial(create_app, tenant="acme", username="ISU_CONTRACT", password="contract-password"),
        credentials={"tenant": "acme", "username": "ISU_CONTRACT", "password": "contract-password"},
        bad_credentials={"tenant": "acme", "username": "ISU_CONTRACT", "password": "wrong-password"},
        settings={},
        # Workday refuses a malformed email with its validation fault (Email_Address, see sandbox/workday).
        refused_hire=lambda: a_hire(email="not-an-email"),
        refusal_says="Email addresses must be in the format",
        first_name_of=lambda record: record.get("firstName"),
        email_of=emails,
        hires_only=lambda records: [r for r in records if r.get("kind") == "pre_hire"],
        no_tokens="Workday's WS-Security UsernameToken carries the password in every request; there is no token",
    )


@functools.cache
def adp_pki() -> Any:
    """One test PKI for the session (CA, server and client certificates), removed at exit."""
    from hirebridge.sandbox.adp.certs import generate

    directory = Path(tempfile.mkdtemp(prefix="adp-contract-pki-"))
    atexit.register(shutil.rmtree, directory, True)
    return generate(directory / "pki")


def adp_credentials(pki: Any, **changes: str) -> dict[str, str]:
    cert_pem, key_pem = pki.client_pem()
    return {
        "clientId": "sandbox-client-id",
        "clientSecret": "sandbox-client-secret",
        "certificatePem": cert_pem,
        "privateKeyPem": key_pem,
        **changes,
    }


def _adp() -> Kit:
    from hirebridge.sandbox.adp.app import create_app
    from hirebridge.sandbox.adp.tls import serve_tls

    pki = adp_pki()

    @contextlib.contextmanager
    def serve_adp(app: Any) -> Any:
        with serve_tls(app, pki) as url:
            yield url

    def profile(record: Record) -> dict[str, Any]:
        return dict((record.get("applicantOnboarding") or {}).get("applicantPersonalProfile") or {})

    def email(record: Record) -> str | None:
        found = (profile(record).get("communication") or {}).get("emails") or []
        return str(found[0].get("emailUri")) if found else None

    return Kit(
        system="adp",
        make_app=functools.partial(create_app, ca_cert=pki.ca_cert),
        credentials=adp_credentials(pki),
        bad_credentials=adp_credentials(pki, clientSecret="wrong-secret"),
        # The template is named, so a preview shows the request exactly; learning it from the meta endpoint when it
        # is not is tested in test_adp_connector.py.
        settings={"serverCaPem": pki.ca_cert.read_text(), "onboardingTemplateCode": "169748818049_1"},
        refused_hire=lambda: a_hire(email="not-an-email"),
        refusal_says="Email is invalid.",
        first_name_of=lambda record: (profile(record).get("birthName") or {}).get("givenName"),
        email_of=email,
        no_updates="ADP's applicant.onboard creates applicants only; the connector sends no update",
        serve=serve_adp,
        admin_verify=ssl.create_default_context(cafile=str(pki.ca_cert)),
    )


def _personio() -> Kit:
    from hirebridge.sandbox.personio.app import create_app

    def attribute(record: Record, name: str) -> Any:
        value = record.get(name)
        return value.get("value") if isinstance(value, dict) else value

    return Kit(
        system="personio",
        make_app=create_app,
        credentials={"clientId": "sandbox-client-id", "clientSecret": "sandbox-client-secret"},
        bad_credentials={"clientId": "sandbox-client-id", "clientSecret": "wrong-secret"},
        settings={},
        refused_hire=lambda: a_hire(email="not-an-email"),
        refusal_says="The email must be a valid email address.",
        first_name_of=lambda record: attribute(record, "first_name"),
        email_of=lambda record: attribute(record, "email"),
    )


def kits() -> list[Callable[[], Kit]]:
    """Every vendor's kit, in the order the suite runs them (``test_contract`` checks there is one per connector)."""
    return [_bamboohr, _bob, _workday, _adp, _personio]
