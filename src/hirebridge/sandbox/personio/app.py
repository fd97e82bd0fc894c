"""Personio (API v1) simulator: ``create_app()`` for tests and the demo, ``main()`` for ``hirebridge sandbox
personio``. Every behaviour, its source and what is UNCONFIRMED is in docs/simulators.md ("Personio"); in short
("api-docs" = personio/api-docs at 2f3707f; "reference" = developer.personio.de):

- ``POST /v1/auth`` with ``client_id``/``client_secret`` as JSON, form or query (api-docs personio-auth-api.yaml;
  changelog "Auth API: ... POST body") -> ``{"success": true, "data": {"token", "expires_in", "scope"}}``. The token
  is stable: ``papi-`` prefixed, the same for 24 hours, and sent back in the ``Authorization`` header of successful
  calls (reference /auth; changelog "authentication-api-improved-bearer-token"). 60 auth requests a minute, then a
  60-second cool-down (reference /auth). Every auth request is counted at ``/_sandbox/tokens``;
- Bearer auth on the rest: no header -> 401 "Authorization is not provided", an unknown token -> 403 "Provided
  authorization is not valid" (api-docs 401/403 examples), an expired one -> 401 (UNCONFIRMED);
- ``POST /v1/company/employees`` (employees.py) -> ``{"success": true, "data": {"id", "message": "success"}}`` or 422
  ``{"success": false, "error": {"code": 422, "message"}}``; ``GET /v1/company/employees`` (``email``, ``limit``,
  ``offset``, ``attributes[]``, ``updated_since``; 300 requests a minute) and ``GET /v1/company/employees/{id}``;
  ``GET /v1/company/employees/attributes`` (and its alias ``custom-attributes``); ``PATCH
  /v1/company/employees/{id}`` ``{"employee": {...}}`` (the sent attributes change; 404 unknown id, 422 as the create);
- fault switches (sandbox.faults); ``/_sandbox/settings``, ``/_sandbox/tokens``, ``/_sandbox/tokens/expire``,
  ``/_sandbox/attributes`` (the custom attributes the credentials may write).
"""

from __future__ import annotations

import json
import math
import secrets
from typing import Any, Literal
from urllib.parse import parse_qsl

import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from hirebridge.sandbox.faults import DroppedResponse, Faults, admin_router, install
from hirebridge.sandbox.personio import employees as staff
from hirebridge.sandbox.personio.state import CustomAttribute, PersonioState, SimulatorSettings

MAX_BODY_BYTES = 256 * 1024
MAX_LIMIT = 100  # "limit max 100, default 50" (reference: pagination adoption guide for v1 GET employees)
DEFAULT_LIMIT = 50


class NewAttribute(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uid: int = Field(ge=1, le=10**9)
    label: str = Field(min_length=1, max_length=120)
    type: Literal["standard", "date", "list", "tags", "decimal"] = "standard"
    options: list[str] = Field(default_factory=list, max_length=200)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"success": False, "error": {"code": status, "message": message}}, status, headers=headers)


class _Gate:
    """What every Personio call passes: the fault switches, then (personnel data) the bearer token."""

    def __init__(self, faults: Faults, state: PersonioState) -> None:
        self.faults, self.state = faults, state

    async def faults_first(self) -> Response | None:
        decision = await self.faults.before_call()
        if decision == "throttle":
            retry = str(max(0, self.faults.switches.retry_after_seconds))
            return _error(429, "Too Many Requests", {"Retry-After": retry})
        if decision == "error":
            status = self.faults.random.choice((500, 502, 503))
            return _error(status, "Es ist ein Problem aufgetreten (simulated)")
        if decision == "timeout":
            return _error(504, "Gateway Timeout (simulated)")
        return None

    async def check(self, request: Request) -> tuple[Response | None, str]:
        if (refused := await self.faults_first()) is not None:
            return refused, ""
        header = request.headers.get("authorization")
        if not header:
            return _error(401, "Authorization is not provided"), ""
        scheme, _, token = header.partition(" ")
        token = token.strip()
        status = self.state.token_status(token) if scheme.lower() == "bearer" and len(token) < 512 else "unknown"
        if status == "expired":
            return _error(401, "The provided token has expired"), ""
        if status != "valid":
            return _error(403, "Provided authorization is not valid"), ""
        return None, token


def _with_token(response: JSONResponse, token: str) -> JSONResponse:
    response.headers["Authorization"] = f"Bearer {token}"
    return response


async def _body(request: Request) -> tuple[Any, bool]:
    """The request body as JSON or as form fields; (None, False) when it is neither or too large."""
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        return None, False
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True), True
    try:
        return json.loads(raw), True
    except (ValueError, UnicodeDecodeError):
        return None, False


def create_app(
    *,
    client_id: str = "sandbox-client-id",
    client_secret: str = "sandbox-client-secret",  # noqa: S107 - the demo credential of a local simulator
    attributes: tuple[CustomAttribute, ...] | None = None,
    seed: int | None = None,
) -> FastAPI:
    """A fresh simulator with its own company (``app.state.simulator``) and fault switches (``app.state.faults``)."""
    state = PersonioState(attributes) if attributes is not None else PersonioState()
    faults = Faults(seed)
    gate = _Gate(faults, state)
    app = FastAPI(title="Personio API simulator", docs_url=None, redoc_url=None)
    app.state.simulator = state
    app.state.faults = faults
    install(app, faults)

    @app.post("/v1/auth")
    async def auth(request: Request) -> Response:
        allowed = state.take_auth_slot()
        if (refused := await gate.faults_first()) is not None:
            state.count_refusal()
            return refused
        if not allowed:
            return _error(429, "Too Many Requests")
        body, _ = await _body(request)
        fields = dict(body) if isinstance(body, list) else body if isinstance(body, dict) else {}
        given_id = fields.get("client_id") or request.query_params.get("client_id") or ""
        given_secret = fields.get("client_secret") or request.query_params.get("client_secret") or ""
        if (
            not isinstance(given_id, str)
            or not isinstance(given_secret, str)
            or not (
                secrets.compare_digest(given_id.encode(), client_id.encode())
                & secrets.compare_digest(given_secret.encode(), client_secret.encode())
            )
        ):
            state.count_refusal()
            return _error(401, "The client credentials are invalid.")
        token, expires_in = state.stable_token()
        data = {"token": token, "expires_in": expires_in, "scope": "employees:read employees:write"}
        return JSONResponse({"success": True, "data": data})

    @app.post("/v1/company/employees")
    async def create_employee(request: Request) -> Response:
        refused, token = await gate.check(request)
        if refused is not None:
            return refused
        body, parsed = await _body(request)
        if not parsed:
            return _error(400, "The request body is not valid JSON or form data.")
        if isinstance(body, list):
            body = staff.from_form(body)
        try:
            employee = staff.create(state, body)
        except staff.Invalid as exc:
            return _error(422, str(exc))
        if faults.drop_this_write():
            raise DroppedResponse()
        content: dict[str, Any] = {"success": True, "data": {"id": employee.id, "message": "success"}}
        if employee.meta:
            content["meta"] = employee.meta
        return _with_token(JSONResponse(content), token)

    @app.patch("/v1/company/employees/{employee_id}")
    async def update_employee(employee_id: str, request: Request) -> Response:
        refused, token = await gate.check(request)
        if refused is not None:
            return refused
        body, parsed = await _body(request)
        if not parsed:
            return _error(400, "The request body is not valid JSON or form data.")
        if isinstance(body, list):
            body = staff.from_form(body)
        try:
            employee = staff.update(state, employee_id[:40], body)
        except staff.Invalid as exc:
            return _error(422, str(exc))
        if employee is None:
            return _error(404, "Es ist ein Problem aufgetreten ")  # as GET /company/employees/{id}
        if faults.drop_this_write():
            raise DroppedResponse()
        return _with_token(JSONResponse({"success": True, "data": {"id": employee.id, "message": "success"}}), token)

    @app.get("/v1/company/employees")
    async def list_employees(request: Request) -> Response:
        refused, token = await gate.check(request)
        if refused is not None:
            return refused
        if not state.take_employees_slot():
            return _error(429, "Too Many Requests")
        params = request.query_params
        only = [a[:80] for a in params.getlist("attributes[]")][:100] or None
        found = state.snapshot()
        since_raw = params.get("updated_since")
        if since_raw is not None:  # "the email, limit, and offset parameters are ignored" (api-docs)
            since = staff.updated_since(since_raw)
            if since is None:
                return _error(400, "The updated since does not match the format Y-m-d\\TH:i:s.")
            found = [
                e for e in found if (t := staff.updated_since(e.modified_at or e.created_at)) is not None and t > since
            ]
            return _with_token(JSONResponse(_page(state, found, found, 0, max(1, len(found)), only)), token)
        try:
            limit = int(params.get("limit", DEFAULT_LIMIT))
            offset = int(params.get("offset", 0))
        except ValueError:
            return _error(400, "limit and offset must be integers.")
        if limit < 1 or offset < 0:
            return _error(400, "limit must be at least 1 and offset at least 0.")
        limit = min(limit, MAX_LIMIT)
        email = params.get("email")
        if email is not None:
            found = [e for e in found if str(e.values["email"]).lower() == email.strip().lower()]
        return _with_token(
            JSONResponse(_page(state, found, found[offset : offset + limit], offset, limit, only)), token
        )

    @app.get("/v1/company/employees/attributes")
    @app.get("/v1/company/employees/custom-attributes")
    async def list_attributes(request: Request) -> Response:
        refused, token = await gate.check(request)
        if refused is not None:
            return refused
        return _with_token(JSONResponse({"success": True, "data": staff.attribute_list(state)}), token)

    @app.get("/v1/company/employees/{employee_id}")
    async def read_employee(employee_id: str, request: Request) -> Response:
        refused, token = await gate.check(request)
        if refused is not None:
            return refused
        for employee in state.snapshot():
            if str(employee.id) == employee_id:
                return _with_token(JSONResponse({"success": True, "data": staff.render(state, employee)}), token)
        return _error(404, "Es ist ein Problem aufgetreten ")  # the api-docs' 404 example, trailing space included

    def records() -> list[dict[str, Any]]:
        return [{"id": e.id, **e.values, "created_at": e.created_at, "meta": e.meta} for e in state.snapshot()]

    app.include_router(admin_router(faults, records, state.reset))

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
    def expire_token() -> dict[str, bool]:
        return {"expired": state.expire_token()}

    @app.get("/_sandbox/attributes")
    def get_attributes() -> list[dict[str, Any]]:
        return [
            {"key": a.key, "label": a.label, "type": a.type, "options": list(a.options)}
            for a in state.attributes.values()
        ]

    @app.post("/_sandbox/attributes")
    def add_attribute(new: NewAttribute) -> dict[str, Any]:
        attribute = CustomAttribute(new.uid, new.label, new.type, tuple(new.options))
        with state.lock():
            state.attributes[attribute.key] = attribute
        return {"key": attribute.key, "label": attribute.label, "type": attribute.type, "options": new.options}

    return app


def _page(
    state: PersonioState, matched: list[Any], page: list[Any], offset: int, limit: int, only: list[str] | None
) -> dict[str, Any]:
    return {
        "success": True,
        "metadata": {
            "total_elements": len(matched),
            "current_page": offset // limit,
            "total_pages": max(1, math.ceil(len(matched) / limit)),
        },
        "offset": offset,
        "limit": limit,
        "data": [staff.render(state, e, only) for e in page],
    }


def main(port: int, host: str = "127.0.0.1") -> None:
    """Serve a simulator with the demo client ``sandbox-client-id`` / ``sandbox-client-secret``."""
    uvicorn.run(create_app(), host=host, port=port, log_level="info")
