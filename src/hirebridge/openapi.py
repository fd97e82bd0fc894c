"""The OpenAPI document of both API surfaces, and ``/docs`` and ``/redoc`` served without a CDN.

Handlers read their own bodies (to control limits and errors), so FastAPI alone cannot see what they take. Each
route declares it on its decorator, with the pydantic model its handler validates with:

    @router.post("/candidate.create", openapi_extra=ats(CandidateCreate, "Candidate", idempotent=True))
    @router.post("/partner/v1.0/workday/jobs", openapi_extra=partner(JobIn, errors=[job_is_closed("J-1")]))

``install(app)`` then builds the document from the routes:

- request bodies: the model's JSON Schema (validation mode, so every limit is in it), registered as a component;
- security: derived from the route's dependencies, never declared by hand: ``require(...)`` is HTTP Basic with the
  API key as username (``atsApiKey``), ``require_partner`` is a Bearer token (``partnerBearer``), and the token
  endpoint takes the client's credentials as HTTP Basic (``partnerClient``) or in its body;
- responses: every error the operation can answer, rendered by the service's own error renderer
  (``web.render_error``), so each status and example body is what a client really gets. ATS answers are Ashby's
  envelope: ``{success: true, results}`` (the ``results`` schema is a named component, see ``openapi_results``),
  or ``{success: false, errors, errorInfo}`` with HTTP 200 for every error but authentication.
"""

from __future__ import annotations

import inspect
import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

from hirebridge import openapi_results
from hirebridge.errors import AppError, FieldError, PayloadTooLarge, ValidationFailed

Surface = Literal["ats", "partner", "token"]
EXAMPLE_REQUEST_ID = "5f0c6a3e9b2d4c1e8a7f6b5c4d3e2a19"
EXAMPLE_ID = "3b1d7a52-8c4e-4f0a-9d6b-2e5f7c8a9b10"
DOCS_ASSETS = "/docs-assets"
# The docs pages load nothing from elsewhere (Redoc's footer would fetch its logo from a CDN).
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; font-src 'self' data:"
)
_KEY = "x-hirebridge-declaration"
_REF = "#/components/schemas/{model}"
_SECURITY = {
    "atsApiKey": {
        "type": "http",
        "scheme": "basic",
        "description": "The ATS API key as the Basic username, with an empty password (`curl -u API_KEY:`).",
    },
    "partnerBearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from `POST /partner/oauth2/token` (OAuth2 client credentials).",
    },
    "partnerClient": {
        "type": "http",
        "scheme": "basic",
        "description": "The partner client's `client_id` and `client_secret` (RFC 6749 section 2.3.1); they may "
        "instead be sent as `client_id` and `client_secret` in the body.",
    },
}


@dataclass(frozen=True)
class Declaration:
    """What a route's decorator says about its operation (everything else is derived from the route)."""

    surface: Surface
    body: type[BaseModel] | None
    results: str | None = None
    many: bool = False
    idempotent: bool = False
    errors: tuple[AppError, ...] = ()
    form: bool = False
    query: type[BaseModel] | None = None


_DECLARATIONS: dict[str, Declaration] = {}
_COUNTER = itertools.count(1)


def _declare(declaration: Declaration) -> dict[str, Any]:
    if declaration.results is not None and declaration.results not in openapi_results.NAMES:
        raise ValueError(f"unknown results schema {declaration.results!r}; add it to openapi_results")
    key = str(next(_COUNTER))
    _DECLARATIONS[key] = declaration
    return {_KEY: key}


def ats(
    body: type[BaseModel] | None,
    results: str,
    *,
    many: bool = False,
    idempotent: bool = False,
    errors: Iterable[AppError] = (),
    query: type[BaseModel] | None = None,
) -> dict[str, Any]:
    """An ATS operation: its body model (or the model of its query string), the component its ``results`` are (a
    list of them when ``many``), whether it honours ``Idempotency-Key``, and the errors of its own (authentication
    and body errors are added)."""
    return _declare(Declaration("ats", body, results, many, idempotent, tuple(errors), query=query))


def partner(body: type[BaseModel] | None, returns: str, *, errors: Iterable[AppError] = ()) -> dict[str, Any]:
    """A partner API operation: its body model, the component it answers, and its own errors (authentication and
    body errors are added)."""
    return _declare(Declaration("partner", body, returns, errors=tuple(errors)))


def token(body: type[BaseModel], returns: str, *, errors: Iterable[AppError] = ()) -> dict[str, Any]:
    """The partner token endpoint: a JSON or form body, authenticated by the client's credentials."""
    return _declare(Declaration("token", body, returns, errors=tuple(errors), form=True))


def error(code: str, message: str) -> AppError:
    """An example of an operation's own error, for its documentation."""
    return AppError(code, message)


# --- errors every operation of a surface can answer ---------------------------------------------------------------


def _ats_errors(route: APIRoute, declaration: Declaration) -> list[AppError]:
    from hirebridge.ats import idempotency
    from hirebridge.ats.auth import api_key_deactivated, invalid_api_key, missing_permission, unauthenticated

    found: list[AppError] = [
        unauthenticated("An API key is required: HTTP Basic auth with the key as username, empty password."),
        invalid_api_key(),
        api_key_deactivated(),
    ]
    permission = _ats_permission(route)
    if permission is not None:
        found.append(missing_permission(permission))
    if declaration.body is not None:
        found += [
            ValidationFailed([FieldError("body", "is not valid JSON at position 0")], code="invalid_input"),
            AppError("payload_too_large", "Request body is larger than 16777216 bytes.", 413),
            AppError("unsupported_media_type", "Content-Type must be application/json, not 'text/plain'.", 415),
        ]
    if declaration.idempotent:
        found += [idempotency.reused_error(route.path.lstrip("/")), idempotency.in_progress_error()]
    return found


def _partner_errors(route: APIRoute, declaration: Declaration) -> list[AppError]:
    found: list[AppError] = []
    if declaration.surface == "partner":
        found += [
            AppError("UNAUTHENTICATED", "An access token is required: Authorization: Bearer <access_token>.", 401),
            AppError("INVALID_TOKEN", "The access token is not valid.", 401),
            AppError("TOKEN_EXPIRED", "The access token has expired; request a new one.", 401),
        ]
    if _has_checked_parameters(route):
        found.append(ValidationFailed([FieldError("page_size", "must be at most 100")]))
    if declaration.body is not None and declaration.surface == "partner":
        found += [
            ValidationFailed([FieldError("body", "is not valid JSON at position 0")], code="MALFORMED_JSON"),
            PayloadTooLarge("Request body is larger than 262144 bytes."),
            AppError("UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json, not 'text/plain'.", 415),
        ]
    return found


def _ats_permission(route: APIRoute) -> str | None:
    from hirebridge.ats.auth import require

    marker = require("apiKeysRead").__code__
    for dependency in route.dependant.dependencies:
        call = dependency.call
        if call is not None and getattr(call, "__code__", None) is marker:
            permission = inspect.getclosurevars(call).nonlocals.get("permission")
            return str(permission) if permission is not None else None
    return None


def _security(route: APIRoute, declaration: Declaration) -> list[dict[str, list[str]]]:
    from hirebridge.partner.auth import require_partner

    if declaration.surface == "token":
        return [{"partnerClient": []}, {}]
    calls = {dependency.call for dependency in route.dependant.dependencies}
    if require_partner in calls:
        return [{"partnerBearer": []}]
    if _ats_permission(route) is not None:
        return [{"atsApiKey": []}]
    raise ValueError(f"{route.path}: declared for the {declaration.surface} API but has no authentication dependency")


def _has_checked_parameters(route: APIRoute) -> bool:
    """Whether a path or query parameter can fail validation (FastAPI's errors are answered as 400)."""
    params = route.dependant.path_params + route.dependant.query_params
    return any(p.field_info.metadata or p.field_info.annotation is not str for p in params)


# --- rendering errors as the service does --------------------------------------------------------------------------


def _rendered(path: str, error: AppError) -> tuple[int, dict[str, Any], dict[str, str]]:
    from hirebridge.web import render_error

    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [],
        "scheme": "https",
        "server": ("hirebridge.example", 443),
        "root_path": "",
        "state": {"request_id": EXAMPLE_REQUEST_ID},
    }
    response = render_error(Request(scope), error)
    return response.status_code, json.loads(bytes(response.body)), dict(response.headers)


def _error_responses(path: str, errors: Sequence[AppError], error_schema: str) -> dict[int, dict[str, Any]]:
    by_status: dict[int, dict[str, Any]] = {}
    for error in errors:
        status, body, headers = _rendered(path, error)
        entry = by_status.setdefault(status, {"examples": {}, "headers": {}})
        name = error.code if error.code not in entry["examples"] else f"{error.code}_{len(entry['examples'])}"
        entry["examples"][name] = {"summary": error.message, "value": body}
        if "www-authenticate" in headers:
            entry["headers"]["WWW-Authenticate"] = {
                "description": "The authentication scheme to use.",
                "schema": {"type": "string", "example": headers["www-authenticate"]},
            }
    return {
        status: {
            "description": _STATUS_TEXT.get(status, "Error"),
            "headers": entry["headers"] | _REQUEST_ID_HEADER,
            "content": {
                "application/json": {"schema": {"$ref": _REF.format(model=error_schema)}, "examples": entry["examples"]}
            },
        }
        for status, entry in sorted(by_status.items())
    }


_STATUS_TEXT = {
    200: "Success: Ashby's envelope with `success: true` and `results`, or an error with `success: false`.",
    400: "Bad request: the errors name each field and the reason.",
    401: "No credentials, or credentials that could not be read.",
    403: "Credentials that are wrong, deactivated, or lack the permission this endpoint needs.",
    404: "Not found (another organization's ids are not found either).",
    409: "The request contradicts what is stored.",
    413: "The request body is too large.",
    415: "The request body is not JSON.",
}
_REQUEST_ID_HEADER = {
    "x-request-id": {
        "description": "The request's id, also in error bodies; quote it when reporting a problem.",
        "schema": {"type": "string"},
    },
}


# --- the document --------------------------------------------------------------------------------------------------


def build(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of ``app``, with every declared operation completed."""
    document = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes, tags=app.openapi_tags
    )
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    declared: list[tuple[APIRoute, str, dict[str, Any], Declaration]] = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route  # routers are included without a prefix, so this is the served path
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        for method in sorted(route.methods or ()):
            operation = document["paths"][route.path_format][method.lower()]
            operation["responses"].pop("422", None)
            key = operation.pop(_KEY, None)
            if key is not None:
                declared.append((route, method.lower(), operation, _DECLARATIONS[key]))
    models = {d.body for _, _, _, d in declared if d.body is not None}
    results = openapi_results.schemas(_REF)
    schemas.update(_model_schemas([*models, AshbyError, PartnerError], taken=set(results)))
    schemas.update(results)
    used: set[str] = set()
    for route, method, operation, declaration in sorted(declared, key=lambda d: (d[1] != "post", len(d[0].path))):
        operation["operationId"] = _operation_id(route, method, declaration, used)
        _complete(route, operation, declaration, schemas)
    document["components"]["securitySchemes"] = _SECURITY
    return document


def _operation_id(route: APIRoute, method: str, declaration: Declaration, used: set[str]) -> str:
    """``candidate.create`` on the ATS API (``candidate.info.get`` for its GET); on the partner API the handler's
    name, with the method and then the path added when two operations share a handler."""
    if declaration.surface == "ats":
        choices = [route.path.lstrip("/"), f"{route.path.lstrip('/')}.{method}"]
    else:
        name = str(route.name).strip("_")
        path = "_".join(part for part in route.path.split("/") if part and not part.startswith("{"))
        choices = [name, f"{name}_{method}", f"{name}_{method}_{path}".replace(".", "_")]
    chosen = next(c for c in choices if c not in used)
    used.add(chosen)
    return chosen


def _model_schemas(models: Iterable[type[BaseModel]], *, taken: set[str]) -> dict[str, Any]:
    """The models' JSON Schemas (validation mode: what a request may carry) as components. A model named like a
    results schema (``OfferStart`` the request, ``OfferStart`` Ashby's answer) becomes ``<Name>Body``."""
    ordered = sorted(models, key=lambda m: (m.__name__, m.__module__))
    refs, definitions = models_json_schema([(m, "validation") for m in ordered], ref_template=_REF)
    text = json.dumps({"refs": {str(i): refs[(m, "validation")]["$ref"] for i, m in enumerate(ordered)}, **definitions})
    clashes = sorted(taken & set(definitions.get("$defs", {})))
    for name in clashes:
        text = text.replace(json.dumps(_REF.format(model=name)), json.dumps(_REF.format(model=f"{name}Body")))
    renamed = json.loads(text)
    for name in clashes:
        renamed["$defs"][f"{name}Body"] = {**renamed["$defs"].pop(name), "title": f"{name}Body"}
    _BODY_REFS.update({m: renamed["refs"][str(i)] for i, m in enumerate(ordered)})
    result: dict[str, Any] = renamed.get("$defs", {})
    return result


_BODY_REFS: dict[type[BaseModel], str] = {}


def _complete(route: APIRoute, operation: dict[str, Any], declaration: Declaration, schemas: dict[str, Any]) -> None:
    operation["security"] = _security(route, declaration)
    if declaration.body is not None:
        schema = {"$ref": _BODY_REFS[declaration.body]}
        media = ["application/json", "application/x-www-form-urlencoded"] if declaration.form else ["application/json"]
        operation["requestBody"] = {
            "required": declaration.surface != "ats" or _has_required_fields(declaration.body),
            "content": {m: {"schema": schema} for m in media},
        }
    if declaration.idempotent:
        operation.setdefault("parameters", []).append(_idempotency_parameter())
    if declaration.query is not None:
        operation.setdefault("parameters", []).extend(_query_parameters(declaration.query))
    if declaration.surface == "ats":
        errors = _ats_errors(route, declaration) + list(declaration.errors)
        responses = _error_responses(route.path, errors, "AshbyError")
        success = _ats_success(declaration, schemas)
        ok = responses.pop(200, {"headers": dict(_REQUEST_ID_HEADER), "content": {"application/json": {}}})
        ok["description"] = _STATUS_TEXT[200]
        ok["content"]["application/json"]["schema"] = {
            "oneOf": [{"$ref": _REF.format(model=success)}, {"$ref": _REF.format(model="AshbyError")}]
        }
        operation["responses"] = {"200": ok} | {str(s): r for s, r in responses.items()}
    else:
        errors = _partner_errors(route, declaration) + list(declaration.errors)
        responses = _error_responses(route.path, errors, "PartnerError")
        assert declaration.results is not None
        ok = {"description": "Success.", "headers": dict(_REQUEST_ID_HEADER)}
        ok["content"] = {"application/json": {"schema": {"$ref": _REF.format(model=declaration.results)}}}
        operation["responses"] = {"200": ok} | {str(s): r for s, r in responses.items()}


def _has_required_fields(model: type[BaseModel]) -> bool:
    return any(f.is_required() for f in model.model_fields.values())


def _ats_success(declaration: Declaration, schemas: dict[str, Any]) -> str:
    """The named envelope component ``<Results>Response`` (``<Results>ListResponse`` for lists)."""
    assert declaration.results is not None
    results_ref = {"$ref": _REF.format(model=declaration.results)}
    properties: dict[str, Any] = {
        "success": {"type": "boolean", "const": True},
        "results": {"type": "array", "items": results_ref} if declaration.many else results_ref,
        "warnings": {"type": "array", "items": {"type": "string"}, "description": "Set on partial success."},
    }
    name = f"{declaration.results}{'List' if declaration.many else ''}Response"
    if declaration.many:
        properties["moreDataAvailable"] = {"type": "boolean"}
        properties["nextCursor"] = {"type": "string", "description": "Send as `cursor` to get the next page."}
        properties["syncToken"] = {"type": "string", "description": "Send as `syncToken` to get later changes."}
    schemas[name] = {"title": name, "type": "object", "required": ["success", "results"], "properties": properties}
    return name


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """One query parameter per field of ``model`` (flat models only: a query string has no nesting)."""
    schema = model.model_json_schema(ref_template=_REF)
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": field}
        for name, field in schema["properties"].items()
    ]


def _idempotency_parameter() -> dict[str, Any]:
    from hirebridge.ats import idempotency

    return {
        "name": idempotency.HEADER,
        "in": "header",
        "required": False,
        "description": "Makes a retried write safe: the same key with the same body answers the first answer again "
        f"(for 24 hours, with `{idempotency.REPLAYED_HEADER}: true`).",
        "schema": {"type": "string", "minLength": 1, "maxLength": idempotency.MAX_KEY_LENGTH},
    }


# --- the error bodies ----------------------------------------------------------------------------------------------


class AshbyErrorInfo(BaseModel):
    code: str
    message: str
    requestId: str
    meta: dict[str, Any]


class AshbyError(BaseModel):
    """Ashby's error envelope (HTTP 200 for every error but 401 and 403)."""

    success: Literal[False]
    errors: list[str]
    errorInfo: AshbyErrorInfo


class PartnerFieldError(BaseModel):
    field: str
    reason: str


class PartnerError(BaseModel):
    """The partner API's error body."""

    error_code: str
    message: str
    errors: list[PartnerFieldError] | None = None
    meta: dict[str, Any] | None = None
    request_id: str


class TokenRequest(BaseModel):
    """The token endpoint's body (``partner.auth`` reads it without a model, as JSON or as a form)."""

    grant_type: Literal["client_credentials"]
    client_id: str | None = Field(None, max_length=64, description="When not sent as HTTP Basic credentials.")
    client_secret: str | None = Field(None, max_length=256, description="When not sent as HTTP Basic credentials.")


TOKEN_ERRORS = (
    ValidationFailed([FieldError("grant_type", "is required")], code="invalid_request"),
    AppError("unsupported_grant_type", "grant_type must be 'client_credentials'."),
    AppError("invalid_client", "Client authentication failed: unknown client, wrong secret, or revoked.", 401),
    AppError("PAYLOAD_TOO_LARGE", "The token request body is too large.", 413),
)


# --- installing ------------------------------------------------------------------------------------------------------


def install(app: FastAPI) -> None:
    """Serve the completed document at ``/openapi.json`` and the docs pages with assets from a Python package."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    assets = resources.files("fastapi_offline") / "static"
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(assets)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_swagger_ui_html(
            openapi_url=f"{root}/openapi.json",
            title=f"{app.title} - API reference",
            swagger_js_url=f"{root}{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png",
            swagger_ui_parameters={"validatorUrl": None, "defaultModelsExpandDepth": 0},
        )
        page.headers["Content-Security-Policy"] = DOCS_CSP
        return page

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_redoc_html(
            openapi_url=f"{root}/openapi.json",
            title=f"{app.title} - API reference",
            redoc_js_url=f"{root}{DOCS_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png",
            with_google_fonts=False,
        )
        page.headers["Content-Security-Policy"] = DOCS_CSP
        return page


__all__ = ["TOKEN_ERRORS", "TokenRequest", "ats", "build", "error", "install", "partner", "token"]
