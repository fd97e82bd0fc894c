"""The OpenAPI document of both API surfaces, and ``/docs`` and ``/redoc`` served without a CDN.

Handlers read their own bodies (to control limits and errors), so FastAPI alone cannot see what they take. Each
route declares it on its decorator, with the pydantic model its handler validates with:

    @router.post("/candidate.create", openapi_extra=ats(CandidateCreate, "Candidate", idempotent=True))
    @router.post("/partner/v1.0/workday/jobs", openapi_extra=partner(JobIn, "PartnerJob", errors=[...]))

``install(app)`` then builds the document from the routes:

- request bodies: the model's JSON Schema (validation mode, so every limit is in it), registered as a component;
- security: derived from the route's dependencies, never declared by hand: ``require(...)`` is HTTP Basic with the
  API key as username (``atsApiKey``), ``require_partner`` is a Bearer token (``partnerBearer``), and the token
  endpoint takes the client's credentials as HTTP Basic (``partnerClient``) or in its body;
- responses: every error the operation can answer, rendered by the service's own error renderer
  (``openapi_errors``), so each status and example body is what a client really gets. ATS answers are Ashby's
  envelope: ``{success: true, results}`` (the ``results`` schema is a named component, see ``openapi_results``),
  or ``{success: false, errors, errorInfo}`` with HTTP 200 for every error but authentication;
- operation ids: ``candidate.create`` on the ATS API, the handler's name on the partner API.

A route with no declaration keeps FastAPI's bare operation; ``tests/openapi`` fails for it.
"""

from __future__ import annotations

import inspect
import itertools
import json
from collections.abc import Iterable
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
from hirebridge.errors import AppError
from hirebridge.openapi_errors import (
    REQUEST_ID_HEADER,
    STATUS_TEXT,
    TOKEN_ERRORS,
    AshbyError,
    PartnerError,
    ats_errors,
    error_responses,
    partner_errors,
)
from hirebridge.openapi_results import REF

Surface = Literal["ats", "partner", "token"]
EXAMPLE_ID = "3b1d7a52-8c4e-4f0a-9d6b-2e5f7c8a9b10"
DOCS_ASSETS = "/docs-assets"
# The docs pages load nothing from elsewhere (Redoc's footer would fetch its logo from a CDN).
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; font-src 'self' data:"
)
_KEY = "x-hirebridge-declaration"
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


def token_endpoint(body: type[BaseModel], returns: str, *, errors: Iterable[AppError] = ()) -> dict[str, Any]:
    """The partner token endpoint: a JSON or form body, authenticated by the client's credentials."""
    return _declare(Declaration("token", body, returns, errors=tuple(errors), form=True))


def error(code: str, message: str, status: int = 400) -> AppError:
    """An example of an operation's own error, for its documentation (the status decides how it is answered)."""
    return AppError(code, message, status)


# --- errors every operation of a surface can answer ---------------------------------------------------------------


def _ats_permission(route: APIRoute) -> str | None:
    from hirebridge.ats.auth import require

    marker = require("apiKeysRead").__code__
    for dependency in route.dependant.dependencies:
        call = dependency.call
        if call is not None and getattr(call, "__code__", None) is marker:
            permission = inspect.getclosurevars(call).nonlocals.get("permission")
            return str(permission) if permission is not None else None
    return None


def _checked_parameter(route: APIRoute) -> str | None:
    """A path or query parameter that can fail validation (FastAPI's errors are answered as 400), if any."""
    params = route.dependant.path_params + route.dependant.query_params
    checked = [p for p in params if p.field_info.metadata or p.field_info.annotation is not str]
    return checked[0].alias if checked else None


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
    results = openapi_results.schemas(REF)
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
    refs, definitions = models_json_schema([(m, "validation") for m in ordered], ref_template=REF)
    text = json.dumps({"refs": {str(i): refs[(m, "validation")]["$ref"] for i, m in enumerate(ordered)}, **definitions})
    clashes = sorted(taken & set(definitions.get("$defs", {})))
    for name in clashes:
        text = text.replace(json.dumps(REF.format(model=name)), json.dumps(REF.format(model=f"{name}Body")))
    renamed = json.loads(text)
    for name in clashes:
        renamed["$defs"][f"{name}Body"] = {**renamed["$defs"].pop(name), "title": f"{name}Body"}
    _BODYREFS.update({m: renamed["refs"][str(i)] for i, m in enumerate(ordered)})
    result: dict[str, Any] = renamed.get("$defs", {})
    return result


_BODYREFS: dict[type[BaseModel], str] = {}


def _complete(route: APIRoute, operation: dict[str, Any], declaration: Declaration, schemas: dict[str, Any]) -> None:
    operation["security"] = _security(route, declaration)
    if declaration.body is not None:
        schema = {"$ref": _BODYREFS[declaration.body]}
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
        body = declaration.body is not None
        errors = ats_errors(route.path, _ats_permission(route), body=body, idempotent=declaration.idempotent)
        errors += declaration.errors
        responses = error_responses(route.path, errors, "AshbyError")
        success = _ats_success(declaration, schemas)
        ok = responses.pop(200, {"headers": dict(REQUEST_ID_HEADER), "content": {"application/json": {}}})
        ok["description"] = STATUS_TEXT[200]
        if declaration.idempotent:
            from hirebridge.ats.idempotency import REPLAYED_HEADER

            ok["headers"][REPLAYED_HEADER] = {
                "description": "`true` when this is the stored answer to an earlier request with the same key.",
                "schema": {"type": "string", "enum": ["true"]},
            }
        ok["content"]["application/json"]["schema"] = {
            "oneOf": [{"$ref": REF.format(model=success)}, {"$ref": REF.format(model="AshbyError")}]
        }
        operation["responses"] = {"200": ok} | {str(s): r for s, r in responses.items()}
    else:
        body = declaration.body is not None and declaration.surface == "partner"
        bearer = declaration.surface == "partner"
        client = declaration.surface == "token"
        errors = partner_errors(bearer=bearer, client=client, body=body, checked_parameter=_checked_parameter(route))
        errors += declaration.errors
        responses = error_responses(route.path, errors, "PartnerError")
        assert declaration.results is not None
        ok = {"description": "Success.", "headers": dict(REQUEST_ID_HEADER)}
        ok["content"] = {"application/json": {"schema": {"$ref": REF.format(model=declaration.results)}}}
        operation["responses"] = {"200": ok} | {str(s): r for s, r in responses.items()}


def _has_required_fields(model: type[BaseModel]) -> bool:
    return any(f.is_required() for f in model.model_fields.values())


def _ats_success(declaration: Declaration, schemas: dict[str, Any]) -> str:
    """The named envelope component ``<Results>Response`` (``<Results>ListResponse`` for lists)."""
    assert declaration.results is not None
    results_ref = {"$ref": REF.format(model=declaration.results)}
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
    schema = model.model_json_schema(ref_template=REF)
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


class TokenRequest(BaseModel):
    """The token endpoint's body (``partner.auth`` reads it without a model, as JSON or as a form)."""

    grant_type: Literal["client_credentials"]
    client_id: str | None = Field(None, max_length=64, description="When not sent as HTTP Basic credentials.")
    client_secret: str | None = Field(None, max_length=256, description="When not sent as HTTP Basic credentials.")


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


__all__ = ["TOKEN_ERRORS", "TokenRequest", "ats", "build", "error", "install", "partner", "token_endpoint"]
