"""The served OpenAPI document: valid OpenAPI 3.1, and complete for every operation of both API surfaces (request
body from the handler's own model, security, error responses), with statuses and examples a real client gets."""

from __future__ import annotations

import ast
import base64
import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from schemathesis.specs.openapi.definitions import OPENAPI_31

from hirebridge.app import create_app
from hirebridge.ats import ashby_schemas
from hirebridge.orgs.service import IssuedCredentials
from hirebridge.runtime import Runtime
from tests.ats.helpers import new_key
from tests.openapi.conftest import assert_declared

BODY_READERS = {"read_body": 1, "parse_model": 0}  # the argument that names the model
METHODS = ("get", "post", "put", "delete", "patch")


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def api_operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """The operations of the partner and ATS APIs (not the health check)."""
    return ((p, m, o) for p, m, o in operations(document) if p != "/healthz")


def validator(document: dict[str, Any], ref: str) -> jsonschema.Draft202012Validator:
    schema = {"$ref": ref, "components": document["components"]}
    return jsonschema.Draft202012Validator(schema)


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    jsonschema.Draft202012Validator(OPENAPI_31).validate(document)
    for name, schema in document["components"]["schemas"].items():
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as exc:  # pragma: no cover - the message names the component
            pytest.fail(f"components.schemas.{name} is not a valid JSON Schema: {exc.message}")
    ids = [o["operationId"] for _, _, o in operations(document)]
    assert len(ids) == len(set(ids)), "operationIds must be unique"


def test_every_operation_declares_security_and_errors(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["atsApiKey"] == {**schemes["atsApiKey"], "type": "http", "scheme": "basic"}
    assert schemes["partnerBearer"] == {**schemes["partnerBearer"], "type": "http", "scheme": "bearer"}
    assert schemes["partnerClient"] == {**schemes["partnerClient"], "type": "http", "scheme": "basic"}
    count = 0
    for path, method, operation in api_operations(document):
        count += 1
        where = f"{method.upper()} {path}"
        security = operation.get("security")
        assert security, f"{where} declares no security"
        expected = "atsApiKey" if not path.startswith("/partner/") else "partnerBearer"
        if path.endswith("/oauth2/token"):
            expected = "partnerClient"
        assert {expected: []} in security, where
        errors = [status for status in operation["responses"] if status != "200"]
        assert errors, f"{where} declares no error response"
        assert "422" not in operation["responses"], f"{where}: validation errors are answered as 400, not 422"
    assert count >= 45


def _body_model(endpoint: Any) -> str | None:
    """The model the handler reads its body with (``read_body(request, Model)``, ``parse_model(Model, ...)``)."""
    # The handler is found by name in its module's source (line numbers would go stale if the file changed).
    module = ast.parse(Path(inspect.getsourcefile(endpoint) or "").read_text())
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    defined = {n.name: n for n in module.body if isinstance(n, functions)}
    handler = defined[endpoint.__name__]
    # The handler's own calls, then those of the module's functions it calls (a handler may hand its body to one
    # that validates it inside the transaction, after the caller's checks: partner candidate create).
    called = [n.func.id for n in ast.walk(handler) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    for function in [handler, *(defined[name] for name in called if name in defined and name != handler.name)]:
        for node in ast.walk(function):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in BODY_READERS:
                argument = node.args[BODY_READERS[node.func.id]]
                return ast.unparse(argument).rsplit(".", 1)[-1]
    if "_token_request_body(" in ast.unparse(handler):
        return "TokenRequest"
    return None


def test_request_bodies_are_the_models_the_handlers_validate_with(runtime: Runtime, document: dict[str, Any]) -> None:
    app = create_app(runtime)
    checked = 0
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.include_in_schema or route.path == "/healthz":
            continue
        model = _body_model(route.endpoint)
        for method in route.methods:
            operation = document["paths"][route.path_format][method.lower()]
            where = f"{method} {route.path}"
            if model is None:
                assert "requestBody" not in operation, f"{where} reads no body but declares one"
                continue
            body = operation.get("requestBody")
            assert body is not None, f"{where} reads a {model} body but declares none"
            ref = body["content"]["application/json"]["schema"]["$ref"]
            assert ref.rsplit("/", 1)[-1] in (model, f"{model}Body"), (
                f"{where} validates with {model} but declares {ref}"
            )
            checked += 1
    assert checked >= 35


def test_bodies_carry_the_models_limits(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["CandidateCreate"]["properties"]["name"]["maxLength"] == 255
    limit = schemas["ListParams"]["properties"]["limit"]
    assert (limit["minimum"], limit["maximum"]) == (1, 100)
    assert schemas["JobIn"]["properties"]["description"]["minLength"] == 300
    assert "external_job_id" in schemas["JobIn"]["required"]


def test_examples_match_their_schemas(document: dict[str, Any]) -> None:
    count = 0
    for path, method, operation in api_operations(document):
        for status, response in operation["responses"].items():
            media = response.get("content", {}).get("application/json", {})
            for name, example in media.get("examples", {}).items():
                schema = {**media["schema"], "components": document["components"]}
                errors = list(jsonschema.Draft202012Validator(schema).iter_errors(example["value"]))
                assert not errors, f"{method.upper()} {path} {status} example {name}: {errors[0].message}"
                count += 1
    assert count > 200


def test_ats_results_are_ashbys_published_objects(document: dict[str, Any]) -> None:
    ashby = ashby_schemas.document()["operations"]
    for path, _, operation in api_operations(document):
        name = path.lstrip("/")
        if name not in ashby or path.startswith("/partner/"):
            continue
        success = operation["responses"]["200"]["content"]["application/json"]["schema"]["oneOf"][0]["$ref"]
        results = document["components"]["schemas"][success.rsplit("/", 1)[-1]]["properties"]["results"]
        declared = results.get("$ref") or results["items"]["$ref"] + "List"
        assert declared.rsplit("/", 1)[-1] == ashby[name]["results"], path


@pytest.mark.parametrize("credentials", ["none", "unprivileged"])
def test_authentication_errors_are_answered_as_declared(
    document: dict[str, Any], client: httpx.Client, org: IssuedCredentials, runtime: Runtime, credentials: str
) -> None:
    """Every operation, called without credentials or with a key that holds no permission (an invalid token on the
    partner API), answers a declared status with a declared code. (Wrong keys would count as failed
    authentications towards the per-address limit, so only one is sent, in the next test.)"""
    key = new_key(runtime, org.organization_id, [])
    for path, method, operation in api_operations(document):
        headers: dict[str, str] = {}
        if credentials == "unprivileged":
            basic = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
            headers = {"Authorization": "Bearer not-a-token" if path.startswith("/partner/") else basic}
        url = path.replace("{ext_job_id}", "J-1").replace("{candidate_id}", "c").replace("{webhook_id}", "w")
        response = client.request(method, url, json={} if method != "get" else None, headers=headers)
        assert_declared(document, operation, f"{method.upper()} {path}", response)


def test_a_wrong_api_key_is_answered_as_declared(document: dict[str, Any], client: httpx.Client) -> None:
    response = client.post("/candidate.list", json={}, auth=("hbk_not-a-key-at-all", ""))
    assert response.status_code == 403
    assert_declared(document, document["paths"]["/candidate.list"]["post"], "POST /candidate.list", response)


def test_body_errors_are_answered_as_declared(
    document: dict[str, Any], client: httpx.Client, org: IssuedCredentials, partner_token: str
) -> None:
    """A body that is not JSON gets a declared status and code on every operation that reads a body."""
    for path, method, operation in api_operations(document):
        if "requestBody" not in operation or path.endswith("/oauth2/token"):
            continue
        auth = {"Authorization": f"Bearer {partner_token}"} if path.startswith("/partner/") else {}
        url = path.replace("{webhook_id}", "00000000-0000-4000-8000-000000000000")
        kwargs: dict[str, Any] = {} if path.startswith("/partner/") else {"auth": (org.api_key, "")}
        for content, text in (("text/plain", "hello"), ("application/json", "{not json")):
            response = client.request(method, url, content=text, headers={**auth, "Content-Type": content}, **kwargs)
            assert_declared(document, operation, f"{method.upper()} {path} ({content})", response)


@pytest.fixture
def partner_token(client: httpx.Client, org: IssuedCredentials) -> str:
    response = client.post(
        "/partner/oauth2/token", json={"grant_type": "client_credentials"}, auth=(org.client_id, org.client_secret)
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token
