"""HiBob (Bob) public API simulator: ``create_app()`` for tests and the demo, ``main()`` for ``hirebridge sandbox bob``.

What each behaviour rests on ("docs" = apidocs.hibob.com; "SDK" = speakeasy-sdks/hibob, generated from HiBob's
OpenAPI; UNCONFIRMED = no public source, a plausible choice that the connector must not depend on):

- Paths under ``/v1``; HTTP Basic ``SERVICE-USER-ID:TOKEN`` (docs reference/authorization). Missing or wrong
  credentials: ``401`` with an empty body (measured by a third party, per research/hris.md).
- ``POST /v1/people`` (docs reference/post_people, docs/create-employee): nested JSON; ``email``, ``firstName``,
  ``surname``, ``work.site``, ``work.startDate`` (YYYY-MM-DD) required; work columns must be nested, not dotted
  (create-employee doc); list-backed ``work.site``, ``work.department``, ``work.title`` must exist in the company
  lists, "otherwise the request will return an error" (create-employee doc). Values are accepted by item name (as
  in the doc's example body) or item id (UNCONFIRMED). Success ``200`` with the Employee JSON (SDK ``postPeople``
  parses ``200 application/json`` as ``Employee``: id, firstName, surname, email, displayName, work, about,
  personal); ids are numeric strings (doc example ``2813193532448179017``).
- Error bodies are ``{"key": ..., "error": ...}``: the SDK's ``ErrorT`` ("Unexpected error") schema. That the 400s of
  ``/people`` use it is UNCONFIRMED, as are the keys and messages (they name the field and the value).
- Duplicate email: no HiBob page says. The docs treat the email as an employee's identity (``POST
  /v1/people/{identifier}`` reads one employee "identified by backend ID or email in the path",
  docs/people-read-api-contract; the email has its own ``PUT /v1/people/{id}/email``), so a create whose email
  another employee has (any case, active or not, visible yet or not) is refused: ``400``
  ``{"key": "email_already_exists", ...}`` (status, key and text UNCONFIRMED). See docs/simulators.md.
- Unknown root-level scalar fields are refused with 400 (UNCONFIRMED; docs say any field from the fields metadata
  may be sent, and only firstName, surname, email and middleName are modelled at the root).
- ``PUT /v1/people/{identifier}`` (docs reference/put_people-identifier, docs/update-employee-data): identifier is the
  employee id; "although this is a PUT method ... behaves like a PATCH"; ``200``, or ``304`` when the body changes
  nothing (the reference's responses; nothing is written, no drop fault applies). The SDK's response model has no
  body, so the simulator answers an empty body. Unknown id: ``404`` (UNCONFIRMED).
- ``POST /v1/people/search`` (docs reference/post_people-search, docs/people-read-api-contract): body ``fields``
  (dot-notation ids, at most 400), ``filters`` (at most one; only ``root.id`` / ``root.email`` with ``equals``;
  empty ``values`` is 400 per SDK ``EmployeeFilter``; ``filters: []`` is 400, the docs say "omit the filters
  property"), ``showInactive`` (default false: active only), ``humanReadable`` (``APPEND`` adds a
  ``humanReadable`` node, ``REPLACE`` swaps values; docs/how-to-work-with-lists-public-api). Answer
  ``{"employees": [...]}``, no pagination. Each employee carries nested categories plus slash-notation keys
  ``"/work/site": {"value": ...}`` (docs: "Response field keys — slash notation ... may also include nested
  category objects", and the humanReadable example). Unknown field ids are silently omitted (docs). Without
  ``fields``: root, about, employment and work (docs "Default fields"). List fields hold the item id as a string
  (docs/fields-metadata); ``work.site`` holds the name beside ``work.siteId`` (docs mention ``work.siteId``; the
  name in ``work.site`` is UNCONFIRMED). ``id`` is always present (as in the docs' example).
- showInactive: "Terminated/hired (internal.status = Inactive) are ex[cluded]" (post_people-search, truncated in our
  copy): an employee whose ``work.startDate`` is in the future is ``hired`` and Inactive, so a search for a future
  hire without ``showInactive: true`` finds nothing. Termination is not modelled.
- ``POST /v1/people/{identifier}`` reads one employee "identified by backend ID or email in the path"
  (people-read-api-contract); same body options and shape as search. Not found: ``404`` (UNCONFIRMED).
- Read-after-write lag: "Wait up to 20 seconds before a follow-up read" (post_people, put_people-identifier): a write
  becomes visible to search/read ``read_lag_seconds`` later (default 20; 0 disables); until then reads show the
  previous version, or nothing for a new employee.
- Rate limit (docs/rate-limit, reference/rate-limiting): per endpoint, per minute; ``/v1/people/search`` allows 50;
  above it ``429`` with ``X-RateLimit-Limit``, ``X-RateLimit-Remaining``, ``X-RateLimit-Reset`` (Unix epoch
  seconds). The headers are sent on every search answer (UNCONFIRMED on non-429s). No ``Retry-After``
  (UNCONFIRMED for Bob; research says use ``X-RateLimit-Reset``). The limit of ``POST /people`` is UNCONFIRMED, so
  only the shared fault switches throttle it (same 429 and headers).
- Named lists (SDK getCompanyNamedLists / getCompanyNamedListsListName / postCompanyNamedListsListName):
  ``GET /v1/company/named-lists`` -> an array of ``{"name", "items": [{"id", "name", "archived", "children"}]}``
  (the SDK's shape; some clients treat it as an object keyed by list name, UNCONFIRMED);
  ``GET /v1/company/named-lists/{listName}`` -> one list; ``POST`` there with ``{"name"}`` -> ``{"id"}``.
- Faults (``hirebridge.sandbox.faults``): "error" answers 500/502/503, "timeout" hangs then 504, "throttle" and
  ``rate_limit_per_second`` answer Bob's 429; ``drop_after_commit_rate`` loses the response of a committed
  create or update. Admin: ``/_sandbox/records|faults|reset``, ``GET/PUT /_sandbox/settings``
  (``read_lag_seconds``, ``search_limit_per_minute``), ``POST /_sandbox/named-lists/{listName}`` ``{"name"}``.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import secrets
import time
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from hirebridge.sandbox.bob.records import (
    BobError,
    apply_update,
    build_employee,
    matches,
    parse_filter,
    parse_read_options,
    shape,
    with_status,
)
from hirebridge.sandbox.bob.state import BobState
from hirebridge.sandbox.faults import DroppedResponse, Faults, admin_router, install

MAX_BODY_BYTES = 256 * 1024
DEFAULT_SEARCH_LIMIT_PER_MINUTE = 50


class SimulatorSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    read_lag_seconds: float | None = Field(default=None, ge=0, le=3600)
    search_limit_per_minute: int | None = Field(default=None, ge=1, le=1_000_000)


class NewListValue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=255)


def _rate_headers(limit: int, remaining: int, reset: int) -> dict[str, str]:
    return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining), "X-RateLimit-Reset": str(reset)}


def _error(status: int, key: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"key": key, "error": message}, status_code=status, headers=headers)


class _Gate:
    """What every vendor call passes first: the fault switches, then the service user's credentials."""

    def __init__(self, faults: Faults, state: BobState, service_user_id: str, token: str) -> None:
        self.faults, self.state = faults, state
        self._user, self._token = service_user_id.encode(), token.encode()

    def _authorised(self, request: Request) -> bool:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic" or len(encoded) > 1024:
            return False
        try:
            user, sep, token = base64.b64decode(encoded, validate=True).partition(b":")
        except (binascii.Error, ValueError):
            return False
        return bool(sep) and secrets.compare_digest(user, self._user) & secrets.compare_digest(token, self._token)

    def throttled(self) -> JSONResponse:
        per_second = self.faults.switches.rate_limit_per_second
        limit = math.ceil(per_second * 60) if per_second else self.state.settings()["search_limit_per_minute"]
        reset = math.ceil(time.time()) + max(1, self.faults.switches.retry_after_seconds)
        return _error(429, "too_many_requests", "Too Many Requests", _rate_headers(limit, 0, reset))

    async def check(self, request: Request) -> Response | None:
        decision = await self.faults.before_call()
        if decision == "throttle":
            return self.throttled()
        if decision == "error":
            status = self.faults.random.choice((500, 502, 503))
            return _error(status, "internal_error", "The server could not process the request (simulated)")
        if decision == "timeout":
            return _error(504, "gateway_timeout", "The request timed out (simulated)")
        if not self._authorised(request):
            return Response(status_code=401)
        return None


async def _json_body(request: Request, *, empty_ok: bool) -> Any:
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise BobError(413, "body_too_large", f"Request body is larger than {MAX_BODY_BYTES} bytes")
    if not raw.strip():
        if empty_ok:
            return {}
        raise BobError(400, "invalid_body", "Request body is required")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BobError(400, "invalid_body", "Request body is not valid JSON") from None


def create_app(
    *,
    service_user_id: str = "SERVICE-USER",
    token: str = "sandbox-token",  # noqa: S107 - the demo credential of a local simulator
    read_lag_seconds: float = 20.0,
    seed: int | None = None,
    search_limit_per_minute: int = DEFAULT_SEARCH_LIMIT_PER_MINUTE,
) -> FastAPI:
    """A fresh simulator with its own state (``app.state.simulator``) and fault switches (``app.state.faults``)."""
    state = BobState(read_lag_seconds=read_lag_seconds, search_limit_per_minute=search_limit_per_minute, seed=seed)
    faults = Faults(seed)
    gate = _Gate(faults, state, service_user_id, token)
    app = FastAPI(title="HiBob (Bob) API simulator", docs_url=None, redoc_url=None)
    app.state.simulator = state
    app.state.faults = faults
    install(app, faults)

    @app.exception_handler(BobError)
    async def bob_error(_: Request, exc: BobError) -> JSONResponse:
        return _error(exc.status, exc.key, exc.message)

    @app.post("/v1/people")
    async def create_employee(request: Request) -> Response:
        if (refused := await gate.check(request)) is not None:
            return refused
        employee = build_employee(state, await _json_body(request, empty_ok=False))
        if not state.commit_new(employee):
            raise BobError(400, "email_already_exists", "An employee with this email already exists")
        if faults.drop_this_write():
            raise DroppedResponse()
        return JSONResponse(with_status(employee))

    @app.post("/v1/people/search")
    async def search_employees(request: Request) -> Response:
        if (refused := await gate.check(request)) is not None:
            return refused
        allowed, limit, remaining, reset = state.take_search_slot()
        headers = _rate_headers(limit, remaining, reset)
        if not allowed:
            return _error(429, "too_many_requests", "Too Many Requests", headers)
        try:
            body = await _json_body(request, empty_ok=True)
            if not isinstance(body, dict):
                raise BobError(400, "invalid_body", "Request body must be a JSON object")
            fields, human = parse_read_options(body)
            flt = parse_filter(body)
            show_inactive = body.get("showInactive", False)
            if not isinstance(show_inactive, bool):
                raise BobError(400, "invalid_show_inactive", "showInactive must be true or false")
        except BobError as exc:
            return _error(exc.status, exc.key, exc.message, headers)
        found = [
            shape(state, e, fields, human)
            for e in state.visible()
            if matches(e, flt) and (show_inactive or with_status(e)["internal"]["status"] == "Active")
        ]
        return JSONResponse({"employees": found}, headers=headers)

    @app.post("/v1/people/{identifier}")
    async def read_employee(identifier: str, request: Request) -> Response:
        if (refused := await gate.check(request)) is not None:
            return refused
        body = await _json_body(request, empty_ok=True)
        if not isinstance(body, dict):
            raise BobError(400, "invalid_body", "Request body must be a JSON object")
        fields, human = parse_read_options(body)
        wanted = identifier.lower()
        for employee in state.visible():
            if employee["id"] == identifier or employee["email"].lower() == wanted:
                return JSONResponse(shape(state, employee, fields, human))
        raise BobError(404, "employee_not_found", "Employee not found")

    @app.put("/v1/people/{identifier}")
    async def update_employee(identifier: str, request: Request) -> Response:
        if (refused := await gate.check(request)) is not None:
            return refused
        body = await _json_body(request, empty_ok=False)
        result = state.update(identifier, lambda current: apply_update(state, current, body))
        if result is None:
            raise BobError(404, "employee_not_found", f"Employee {identifier[:40]} not found")
        _, changed = result
        if not changed:
            return Response(status_code=304)  # put_people-identifier: nothing changed, nothing written
        if faults.drop_this_write():
            raise DroppedResponse()
        return Response(status_code=200)

    @app.get("/v1/company/named-lists")
    async def named_lists(request: Request) -> Response:
        if (refused := await gate.check(request)) is not None:
            return refused
        lists = state.all_lists()
        return JSONResponse([{"name": n, "items": [i.wire() for i in items]} for n, items in lists.items()])

    @app.get("/v1/company/named-lists/{list_name}")
    async def named_list(list_name: str, request: Request) -> Response:
        if (refused := await gate.check(request)) is not None:
            return refused
        items = state.list_items(list_name)
        if items is None:
            raise BobError(404, "list_not_found", f"List '{list_name[:80]}' not found")
        return JSONResponse({"name": list_name, "items": [i.wire() for i in items]})

    @app.post("/v1/company/named-lists/{list_name}")
    async def add_named_list_item(list_name: str, request: Request) -> Response:
        if (refused := await gate.check(request)) is not None:
            return refused
        if state.list_items(list_name) is None:
            raise BobError(404, "list_not_found", f"List '{list_name[:80]}' not found")
        body = await _json_body(request, empty_ok=False)
        name = body.get("name") if isinstance(body, dict) else None
        if not isinstance(name, str) or not 0 < len(name) <= 255:
            raise BobError(400, "invalid_field", "Field name is required: a string of 1 to 255 characters")
        return JSONResponse({"id": state.add_list_item(list_name, name).id})

    app.include_router(admin_router(faults, lambda: [with_status(e) for e in state.committed()], state.reset))

    @app.get("/_sandbox/settings")
    def get_settings() -> dict[str, Any]:
        return state.settings()

    @app.put("/_sandbox/settings")
    def put_settings(settings: SimulatorSettings) -> dict[str, Any]:
        state.configure(
            read_lag_seconds=settings.read_lag_seconds, search_limit_per_minute=settings.search_limit_per_minute
        )
        return state.settings()

    @app.post("/_sandbox/named-lists/{list_name}")
    def admin_add_list_value(list_name: str, value: NewListValue) -> dict[str, Any]:
        return state.add_list_item(list_name[:80], value.name).wire()

    return app


def main(port: int, host: str = "127.0.0.1") -> None:
    """Serve a simulator with the demo credentials and the documented defaults (20 s read lag, 50 searches/min)."""
    uvicorn.run(create_app(), host=host, port=port, log_level="info")
