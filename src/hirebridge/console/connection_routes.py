"""Console pages about HRIS connections: health, test, settings and write-only credentials, request preview.

Credentials are never sent back to the browser: the form shows which fields are stored, and a field left empty
keeps its stored value. Settings and field mapping are edited as JSON and checked as ``hrisConnection.update``
checks them.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hirebridge.ats.hris_preview import PreviewBody, preview
from hirebridge.connectors.registry import CONNECTORS, display_name
from hirebridge.console import health, queries, sessions, web
from hirebridge.core.models import Application, Candidate
from hirebridge.errors import AppError, FieldError
from hirebridge.hris import operations
from hirebridge.hris.connections import ConnectionUpdate, update_connection
from hirebridge.hris.models import HrisConnection
from hirebridge.security import DecryptionError
from hirebridge.web import get_runtime

router = APIRouter(include_in_schema=False)
MAX_CANDIDATES_LISTED = 100
NOTICES = {"saved": "The connection was saved."}


def credential_inputs(system: str) -> list[dict[str, Any]]:
    """The credential fields of the system's credentials model, as the form asks for them."""
    connector = CONNECTORS.get(system)
    if connector is None:
        return []
    fields = []
    for name, info in connector.credentials_model.model_fields.items():
        key = info.alias or name
        fields.append({"key": key, "multiline": "pem" in key.lower(), "required": info.is_required()})
    return fields


def _connection(session: Session, organization_id: str, connection_id: str) -> HrisConnection | None:
    found = session.get(HrisConnection, connection_id) if web.is_id(connection_id) else None
    return found if found is not None and found.organization_id == organization_id else None


def _candidates(session: Session, organization_id: str) -> list[tuple[str, str]]:
    rows = session.execute(
        select(Application.id, Candidate.first_name, Candidate.last_name, Candidate.email)
        .join(Candidate, Candidate.id == Application.candidate_id)
        .where(Application.organization_id == organization_id)
        .order_by(Application.created_at.desc())
        .limit(MAX_CANDIDATES_LISTED)
    ).all()
    return [(r.id, " ".join(x for x in (r.first_name, r.last_name) if x) or (r.email or r.id)) for r in rows]


@router.get("/console/connections")
def connections_page(request: Request) -> Response:
    with web.visit(request) as v:
        if isinstance(v, Response):
            return v
        rows = [
            {"connection": c, "name": display_name(c.system), "health": health.connection_health(v.session, c)}
            for c in queries.connections_of(v.session, v.who.organization_id)
        ]
        return web.page("connections.html", v.who, rows=rows)


def _detail(request: Request, v: web.Visit, connection: HrisConnection, status: int = 200, **extra: Any) -> Response:
    org = v.who.organization_id
    preview_answer: dict[str, Any] | None = None
    preview_error = ""
    chosen = request.query_params.get("application", "")[:36]
    if chosen and not web.is_id(chosen):
        preview_error = "Choose a candidate from the list."
    elif chosen:
        try:
            body = PreviewBody.model_validate({"applicationId": chosen, "hrisConnectionId": connection.id})
            preview_answer = preview(v.session, v.runtime, org, body)
        except (AppError, ValidationError) as exc:
            preview_error = exc.message if isinstance(exc, AppError) else "Choose a candidate from the list."
    context: dict[str, Any] = {
        "connection": connection,
        "system_name": display_name(connection.system),
        "health": health.connection_health(v.session, connection),
        "last_test": operations.last_test(v.session, org, connection.id),
        "credential_inputs": credential_inputs(connection.system),
        "candidates": _candidates(v.session, org),
        "chosen": chosen,
        "preview": preview_answer,
        "preview_json": json.dumps(preview_answer["request"], indent=2) if preview_answer else "",
        "preview_error": preview_error,
        "notice": NOTICES.get(request.query_params.get("notice", ""), ""),
        "errors": [],
        "form": {
            "name": connection.name,
            "baseUrl": connection.base_url,
            "rateLimitPerSecond": f"{connection.rate_limit_per_second:g}",
            "fieldMapping": json.dumps(connection.field_mapping or {}, indent=2),
            "settings": json.dumps(connection.settings or {}, indent=2),
            "isEnabled": connection.is_enabled,
            "requiresAcceptedOffer": connection.requires_accepted_offer,
        },
    }
    context.update(extra)
    return web.page("connection.html", v.who, status, **context)


@router.get("/console/connections/{connection_id}")
def connection_page(request: Request, connection_id: str) -> Response:
    with web.visit(request) as v:
        if isinstance(v, Response):
            return v
        connection = _connection(v.session, v.who.organization_id, connection_id)
        if connection is None:
            return web.not_found(v.who, "connection")
        return _detail(request, v, connection)


def _json_field(form: dict[str, str], key: str, errors: list[FieldError]) -> dict[str, Any] | None:
    try:
        value = json.loads(form.get(key, "") or "{}")
    except ValueError:
        errors.append(FieldError(key, "is not valid JSON"))
        return None
    if not isinstance(value, dict):
        errors.append(FieldError(key, "must be a JSON object"))
        return None
    return value


def _update_body(
    form: dict[str, str], connection: HrisConnection, stored: dict[str, Any]
) -> tuple[dict[str, Any], list[FieldError]]:
    errors: list[FieldError] = []
    body: dict[str, Any] = {
        "hrisConnectionId": connection.id,
        "name": form.get("name", "").strip(),
        "baseUrl": form.get("baseUrl", "").strip(),
        "isEnabled": form.get("isEnabled") == "on",
        "requiresAcceptedOffer": form.get("requiresAcceptedOffer") == "on",
    }
    try:
        body["rateLimitPerSecond"] = float(form.get("rateLimitPerSecond", ""))
    except ValueError:
        errors.append(FieldError("rateLimitPerSecond", "must be a number"))
    for key in ("fieldMapping", "settings"):
        value = _json_field(form, key, errors)
        if value is not None:
            body[key] = value
    given = {
        f["key"]: form[f"credentials.{f['key']}"]
        for f in credential_inputs(connection.system)
        if form.get(f"credentials.{f['key']}", "").strip()
    }
    if given:
        body["credentials"] = {**stored, **given}
    return body, errors


@router.post("/console/connections/{connection_id}")
async def save_connection(request: Request, connection_id: str) -> Response:
    return await web.handle_post(request, lambda form, who: _save(request, connection_id, form, who))


def _save(request: Request, connection_id: str, form: dict[str, str], who: sessions.Signed) -> Response:
    runtime = get_runtime(request)
    with runtime.transaction() as session:
        v = web.Visit(runtime, session, who)
        connection = _connection(session, who.organization_id, connection_id)
        if connection is None:
            return web.not_found(who, "connection")
        try:
            stored = runtime.cipher.decrypt_json(connection.credentials_encrypted)
        except DecryptionError:
            stored = {}
        body, errors = _update_body(form, connection, stored if isinstance(stored, dict) else {})
        if not errors:
            try:
                data = ConnectionUpdate.model_validate(body)
                with session.begin_nested():
                    update_connection(
                        session,
                        runtime.cipher,
                        who.organization_id,
                        data,
                        allow_private=runtime.settings.private_network_allowed,
                    )
                return web.redirect(f"/console/connections/{connection.id}?notice=saved")
            except ValidationError as exc:
                errors = [FieldError(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]
            except AppError as exc:
                errors = exc.fields or [FieldError("connection", exc.message)]
        session.refresh(connection)
        shown: dict[str, Any] = {
            k: v2 for k, v2 in form.items() if not k.startswith("credentials.") and k != web.CSRF_FIELD
        }
        shown["isEnabled"] = form.get("isEnabled") == "on"
        shown["requiresAcceptedOffer"] = form.get("requiresAcceptedOffer") == "on"
        return _detail(request, v, connection, 400, errors=errors, form=shown)


@router.post("/console/connections/{connection_id}/test")
async def test_connection(request: Request, connection_id: str) -> Response:
    return await web.handle_post(request, lambda _form, who: _test(request, connection_id, who))


def _test(request: Request, connection_id: str, who: sessions.Signed) -> Response:
    runtime = get_runtime(request)
    with runtime.sessions() as session:
        if _connection(session, who.organization_id, connection_id) is None:
            return web.not_found(who, "connection")
    operations.test_connection(runtime, who.organization_id, connection_id)
    return web.redirect(f"/console/connections/{connection_id}#test")
