"""Console pages about pushes: the list, one push (retry, cancel), a candidate's timeline, and the charts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hirebridge.connectors.registry import display_name
from hirebridge.console import charts, health, queries, sessions, timeline, web
from hirebridge.delivery.engine import wake_workers
from hirebridge.errors import AppError
from hirebridge.hris import operations
from hirebridge.hris.models import PushState
from hirebridge.web import get_runtime

router = APIRouter(include_in_schema=False)
NOTICES = {
    "retried": "A new push was queued for this hire; it is shown below.",
    "cancelled": "The push was cancelled before a worker took it.",
}


@router.get("/console")
def home() -> Response:
    return web.redirect("/console/pushes")


@router.get("/console/pushes")
def pushes_page(request: Request) -> Response:
    with web.visit(request) as v:
        if isinstance(v, Response):
            return v
        filters, problems = queries.parse_filters(dict(request.query_params))
        items, emails, next_cursor, failures = queries.list_pushes(v.session, v.who.organization_id, filters)
        connections = queries.connections_of(v.session, v.who.organization_id)
        systems = sorted({c.system for c in connections})
        return web.page(
            "pushes.html",
            v.who,
            filters=filters,
            problems=problems + failures,
            items=items,
            emails=emails,
            next_cursor=next_cursor,
            states=[s.value for s in PushState],
            systems=[(s, display_name(s)) for s in systems],
            connections=connections,
        )


@router.get("/console/pushes/{push_id}")
def push_page(request: Request, push_id: str) -> Response:
    with web.visit(request) as v:
        if isinstance(v, Response):
            return v
        found = queries.push_page(v.session, v.who.organization_id, push_id)
        if found is None:
            return web.not_found(v.who, "push")
        notice = NOTICES.get(request.query_params.get("notice", ""), "")
        return web.page("push.html", v.who, **found, notice=notice, error="")


def _push_action(request: Request, push_id: str, action: str, who: sessions.Signed) -> Response:
    runtime = get_runtime(request)
    try:
        with runtime.transaction() as session:
            if queries.push_page(session, who.organization_id, push_id) is None:
                return web.not_found(who, "push")
            if action == "retry":
                new = operations.retry_push(session, who.organization_id, push_id, requested_by=f"console:{who.email}")
                target = f"/console/pushes/{new.id}?notice=retried"
            else:
                operations.cancel_push(session, who.organization_id, push_id, runtime=runtime)
                target = f"/console/pushes/{push_id}?notice=cancelled"
    except AppError as exc:
        with runtime.sessions() as session:
            found = queries.push_page(session, who.organization_id, push_id)
            if found is None:
                return web.not_found(who, "push")
            return web.page("push.html", who, 409, **found, notice="", error=exc.message)
    wake_workers()
    return web.redirect(target)


@router.post("/console/pushes/{push_id}/retry")
async def retry(request: Request, push_id: str) -> Response:
    return await web.handle_post(request, lambda _form, who: _push_action(request, push_id, "retry", who))


@router.post("/console/pushes/{push_id}/cancel")
async def cancel(request: Request, push_id: str) -> Response:
    return await web.handle_post(request, lambda _form, who: _push_action(request, push_id, "cancel", who))


@router.get("/console/candidates/{candidate_id}")
def candidate_page(request: Request, candidate_id: str) -> Response:
    with web.visit(request) as v:
        if isinstance(v, Response):
            return v
        found = timeline.timeline(v.session, v.who.organization_id, candidate_id)
        if found is None:
            return web.not_found(v.who, "candidate")
        return web.page("candidate.html", v.who, **found)


@router.get("/console/charts")
def charts_page(request: Request) -> Response:
    with web.visit(request) as v:
        if isinstance(v, Response):
            return v
        org = v.who.organization_id
        starts, per_hour = health.pushes_per_hour(v.session, org)
        latency = health.latency_by_system(v.session, org)
        depth_starts, depth, current = health.queue_depth(v.session, org)
        totals = {name: sum(values) for name, values in per_hour.items()}
        return web.page(
            "charts.html",
            v.who,
            pushes_chart=charts.stacked_hours("Pushes per hour by outcome, last 24 hours", starts, per_hour),
            totals=totals,
            latency_chart=charts.horizontal("Attempt latency per HRIS, last 24 hours", latency, ["p50", "p95"], "ms"),
            latency=latency,
            depth_chart=charts.line_hours("Most pushes waiting or running at once, per hour", depth_starts, depth),
            depth_now=current,
            depth_max=max(depth, default=0),
        )
