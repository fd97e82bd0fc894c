"""The console's router: every page under ``/console`` and its stylesheet (mounted by ``hirebridge.app``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hirebridge.console import auth_routes, connection_routes, invitation_routes, push_routes, web

STATIC = Path(__file__).parent / "static"
router = APIRouter(include_in_schema=False)
for part in (auth_routes, push_routes, connection_routes, invitation_routes):
    router.include_router(part.router)


@router.get("/console/static/console.css")
def stylesheet() -> Response:
    return Response(
        (STATIC / "console.css").read_bytes(),
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/console/{unknown:path}")
def unknown_page(request: Request, unknown: str) -> Response:
    """Any other console address: the console's own 404 page (for a signed-in user: with the navigation)."""
    with web.visit(request) as v:
        return web.not_found(None if isinstance(v, Response) else v.who)
