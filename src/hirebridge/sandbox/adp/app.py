"""ADP Workforce Now simulator: ``create_app(ca_cert=...)`` for tests and the demo (served by ``tls.serve_tls`` or
``demo_server``), ``main()`` for ``hirebridge sandbox adp``. Every behaviour, its source and what is UNCONFIRMED is
listed in docs/simulators.md ("ADP Workforce Now"); in short:

- mutual TLS on every call (tls.py): no client certificate -> 401 ``proper client ssl certificate was not presented``
  (ADP "API Common Exceptions"; "Troubleshoot app integrations"), a certificate from another CA -> handshake refused;
- ``POST /auth/oauth/v2/token`` (form ``grant_type=client_credentials``, ``client_id``, ``client_secret``, or the
  pair as HTTP Basic): ``{"access_token", "token_type": "Bearer", "expires_in": 3600, "scope"}``; errors
  ``invalid_request`` "Missing or duplicate parameters", ``unsupported_grant_type`` "Invalid grant_type" (400),
  ``invalid_client`` "The given client credentials were not valid" (401), all from the exceptions page. Tokens
  expire after ``token_lifetime_seconds`` (3600; "Making your first call": valid for one hour);
- ``GET /hcm/v2/applicant.onboard/meta`` (optional ``$filter=meta/applicantOnboarding/onboardingTemplateCode/code eq
  '<code>'``), ``POST /hcm/v2/applicant.onboard`` -> 201 + ``Location`` + ``_confirmMessage`` (onboard.py);
- ``GET /hr/v2/workers`` with ``$filter``/``$select``/``$top``/``$skip``, ``GET /hr/v2/workers/{aoid}`` (workers.py);
- fault switches (sandbox.faults) and ``/_sandbox/settings``, ``/_sandbox/tokens``, ``/_sandbox/tokens/expire``.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from hirebridge.sandbox.adp import onboard as onboarding
from hirebridge.sandbox.adp import workers as hr_workers
from hirebridge.sandbox.adp.certs import load_or_generate
from hirebridge.sandbox.adp.state import AdpState, SimulatorSettings
from hirebridge.sandbox.adp.tls import PEER_CERT, ClientCertificateCheck, server_options
from hirebridge.sandbox.faults import DroppedResponse, Faults, admin_router, install

SCHEME = "https"  # for `hirebridge sandbox adp`'s banner
MAX_BODY_BYTES = 256 * 1024
ONBOARD = "/hcm/v2/applicant.onboard"
NO_CERTIFICATE = {"error": "invalid_request", "error_description": "proper client ssl certificate was not presented"}


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


class _Gate:
    """What every ADP call passes: the client certificate, the fault switches, then (API calls) the bearer token."""

    def __init__(self, faults: Faults, state: AdpState, ca_cert: Path) -> None:
        self.faults, self.state = faults, state
        self.certificates = ClientCertificateCheck(ca_cert)

    def has_certificate(self, request: Request) -> bool:
        return self.certificates.accepts(request.scope.get("state", {}).get(PEER_CERT))

    def error(
        self, status: int, text: str, method: str, resource: str, headers: dict[str, str] | None = None
    ) -> JSONResponse:
        body = onboarding.confirm_error_v03(status, [("error", text)], method, resource)
        return JSONResponse(body, status_code=status, headers=headers)

    async def transport_and_faults(self, request: Request) -> Response | None:
        if not self.has_certificate(request):
            return JSONResponse(NO_CERTIFICATE, status_code=401)
        decision = await self.faults.before_call()
        resource = request.url.path.lstrip("/")
        if decision == "throttle":
            headers = None
            if self.state.settings["throttle_retry_after"]:
                headers = {"Retry-After": str(max(0, self.faults.switches.retry_after_seconds))}
            return self.error(429, "Too Many Requests", request.method, resource, headers)
        if decision == "error":
            status = self.faults.random.choice((500, 503))
            return self.error(status, "The service is unavailable (simulated)", request.method, resource)
        if decision == "timeout":
            return PlainTextResponse("Gateway Timeout", status_code=504)
        return None

    async def check(self, request: Request) -> Response | None:
        if (refused := await self.transport_and_faults(request)) is not None:
            return refused
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        status = self.state.token_status(token.strip()) if scheme.lower() == "bearer" and len(token) < 512 else None
        if status == "valid":
            return None
        if self.state.settings["bad_token_status"] == 400:
            return _oauth_error(400, "invalid_request", "Validation error")
        if status == "expired":
            return _oauth_error(401, "invalid_token", "expired token")
        return _oauth_error(401, "invalid_token", "Invalid authorization credentials")


def _client_credentials(request: Request, form: dict[str, list[str]]) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic" and 0 < len(encoded) < 2048:
        try:
            user, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, ValueError):
            return None
        return (unquote(user), unquote(password)) if sep else None
    ids, secrets_ = form.get("client_id", []), form.get("client_secret", [])
    if len(ids) == 1 and len(secrets_) == 1:
        return ids[0], secrets_[0]
    return None


def create_app(
    *,
    ca_cert: Path,
    client_id: str = "sandbox-client-id",
    client_secret: str = "sandbox-client-secret",  # noqa: S107 - the demo credential of a local simulator
    token_lifetime_seconds: int = 3600,
    seed: int | None = None,
) -> FastAPI:
    """A fresh simulator trusting client certificates issued by ``ca_cert`` (serve it with ``tls.serve_tls``)."""
    state = AdpState(token_lifetime_seconds)
    faults = Faults(seed)
    gate = _Gate(faults, state, ca_cert)
    app = FastAPI(title="ADP Workforce Now simulator", docs_url=None, redoc_url=None)
    app.state.simulator = state
    app.state.faults = faults
    install(app, faults)

    @app.post("/auth/oauth/v2/token")
    async def token(request: Request) -> Response:
        if not gate.has_certificate(request):
            state.count_token_request(refused=True)
            return JSONResponse(NO_CERTIFICATE, status_code=401)
        if (refused := await gate.transport_and_faults(request)) is not None:
            state.count_token_request(refused=True)
            return refused
        raw = await request.body()
        form = parse_qs(raw[:MAX_BODY_BYTES].decode("utf-8", "replace"), keep_blank_values=True)
        grant = form.get("grant_type", [])
        credentials = _client_credentials(request, form)
        refusal: JSONResponse | None = None
        if len(grant) != 1 or not grant[0]:
            refusal = _oauth_error(400, "invalid_request", "Missing or duplicate parameters")
        elif grant[0] != "client_credentials":
            refusal = _oauth_error(400, "unsupported_grant_type", "Invalid grant_type")
        elif credentials is None or not (
            secrets.compare_digest(credentials[0].encode(), client_id.encode())
            & secrets.compare_digest(credentials[1].encode(), client_secret.encode())
        ):
            refusal = _oauth_error(401, "invalid_client", "The given client credentials were not valid")
        state.count_token_request(refused=refusal is not None)
        if refusal is not None:
            return refusal
        access_token, lifetime = state.issue_token()
        body = {"access_token": access_token, "token_type": "Bearer", "expires_in": lifetime, "scope": "api"}
        return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    @app.get(f"{ONBOARD}/meta")
    async def onboard_meta(request: Request) -> Response:
        if (refused := await gate.check(request)) is not None:
            return refused
        expression = request.query_params.get("$filter")
        code = None
        if expression is not None:
            match = onboarding.META_FILTER.match(expression[:500])
            if match is None:
                return gate.error(400, "Invalid $filter expression.", "GET", onboarding.ONBOARD_PATH + "/meta")
            code = match.group(1)
        return JSONResponse(onboarding.meta(code))

    @app.post(ONBOARD)
    async def onboard(request: Request) -> Response:
        if (refused := await gate.check(request)) is not None:
            return refused
        raw = await request.body()
        body: Any = None
        if len(raw) <= MAX_BODY_BYTES:
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                body = None
        try:
            applicant = onboarding.onboard(state, body)
        except onboarding.OnboardRefused as refusal:
            if state.settings["error_style"] == "nextgen":
                content = onboarding.confirm_error_nextgen(refusal.messages, onboarding.ONBOARD_PATH)
            else:
                content = onboarding.confirm_error_v03(400, refusal.messages, "POST", onboarding.ONBOARD_PATH)
            return JSONResponse(content, status_code=400)
        if faults.drop_this_write():
            raise DroppedResponse()
        location = f"/hcm/v2/applicants/{applicant.applicant_id}"
        return JSONResponse(onboarding.confirm_success(applicant), status_code=201, headers={"Location": location})

    def listed() -> list[dict[str, Any]]:
        include_inprogress = state.settings["list_inprogress_workers"]
        return [hr_workers.worker(a) for a in state.snapshot() if include_inprogress or a.status == "complete"]

    @app.get("/hr/v2/workers")
    async def list_workers(request: Request) -> Response:
        if (refused := await gate.check(request)) is not None:
            return refused
        params = request.query_params
        try:
            top, skip = hr_workers.page_bounds(params.get("$top"), params.get("$skip"))
            clauses = hr_workers.parse_filter(params["$filter"]) if "$filter" in params else []
            found = [w for w in listed() if hr_workers.matches(w, clauses)][skip : skip + top]
            if "$select" in params:
                found = [hr_workers.select(w, params["$select"]) for w in found]
        except hr_workers.ODataError as exc:
            return gate.error(400, str(exc), "GET", "hr/v2/workers")
        if not found and state.settings["empty_workers_status"] == 204:
            return Response(status_code=204)
        return JSONResponse({"workers": found})

    @app.get("/hr/v2/workers/{associate_oid}")
    async def read_worker(associate_oid: str, request: Request) -> Response:
        if (refused := await gate.check(request)) is not None:
            return refused
        for item in listed():
            if item["associateOID"] == associate_oid:
                return JSONResponse({"workers": [item]})
        text = "The specified resource does not exist or you do not have access to it."
        return gate.error(404, text, "GET", "hr/v2/workers")

    app.include_router(admin_router(faults, lambda: [_record(a) for a in state.snapshot()], state.reset))

    @app.get("/_sandbox/settings")
    def get_settings() -> dict[str, Any]:
        return dict(state.settings)

    @app.put("/_sandbox/settings")
    def put_settings(update: SimulatorSettings) -> dict[str, Any]:
        return state.configure(update)

    @app.get("/_sandbox/tokens")
    def token_counters() -> dict[str, int]:
        return state.token_counters()

    @app.post("/_sandbox/tokens/expire")
    def expire_tokens() -> dict[str, int]:
        return {"expired": state.expire_tokens()}

    return app


def _record(applicant: Any) -> dict[str, Any]:
    return {
        "applicantID": applicant.applicant_id,
        "associateOID": applicant.associate_oid,
        "workerID": applicant.worker_id,
        "onboardingTemplateCode": applicant.template_code,
        "onboardingStatus": applicant.status,
        "preHireIndicator": applicant.pre_hire,
        "createdAt": applicant.created_at,
        "applicantOnboarding": applicant.body,
    }


def demo_server(data_dir: Path) -> tuple[FastAPI, dict[str, Any]]:
    """The demo's simulator and its uvicorn TLS settings; the test PKI is kept in ``<data_dir>/adp-sandbox-pki``."""
    pki = load_or_generate(data_dir / "adp-sandbox-pki")
    return create_app(ca_cert=pki.ca_cert), server_options(pki)


def main(port: int, host: str = "127.0.0.1", data_dir: Path | None = None) -> None:
    """Serve the simulator over TLS with the demo client ``sandbox-client-id`` / ``sandbox-client-secret``; the test
    CA and the client certificate and key to call it with are written to ``<data dir>/adp-sandbox-pki`` (the
    service's data dir, ``HIREBRIDGE_DATA_DIR``, unless given)."""
    from hirebridge.settings import Settings

    pki = load_or_generate((data_dir or Settings().data_dir) / "adp-sandbox-pki")
    sys.stdout.write(
        f"ADP simulator: https://{host}:{port}  CA: {pki.ca_cert}  client certificate: {pki.client_cert}"
        f"  client key: {pki.client_key}\n"
    )
    sys.stdout.flush()
    uvicorn.run(create_app(ca_cert=pki.ca_cert), host=host, port=port, log_level="info", **server_options(pki))
