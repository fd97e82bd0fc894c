"""The FastAPI application: both API surfaces, the candidate pages, health and metrics (``observability``), and
background machinery."""

from __future__ import annotations

import contextlib
import importlib
import logging
from collections.abc import AsyncIterator, Callable

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from hirebridge import __version__, openapi
from hirebridge.errors import AppError
from hirebridge.runtime import Runtime
from hirebridge.web import (
    RequestContextMiddleware,
    app_error_handler,
    http_exception_handler,
    request_validation_handler,
    unhandled_error_handler,
)

log = logging.getLogger("hirebridge")

# Each capability contributes one router. Listed by module path so that a capability can be absent while it is
# being built without breaking the others.
ROUTERS = (
    "hirebridge.observability.endpoints:router",  # /healthz, /readyz, /metrics
    "hirebridge.partner.api:router",
    "hirebridge.assessments.pages:router",
    "hirebridge.ats.api:router",
    "hirebridge.ats.hris_api:router",
    "hirebridge.ats.hris_preview:router",
    "hirebridge.ats.hris_passthrough:router",
    "hirebridge.ats.hris_connection_check:router",
    "hirebridge.ats.webhooks_api:router",
    "hirebridge.partner.webhooks_api:router",
    "hirebridge.console.routes:router",
)


def _load_routers() -> list[object]:
    routers = []
    for spec in ROUTERS:
        module_name, attribute = spec.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module_name.startswith(exc.name):
                raise
            continue
        routers.append(getattr(module, attribute))
    return routers


def create_app(runtime: Runtime, *, background: Callable[[Runtime], Callable[[], None]] | None = None) -> FastAPI:
    """The service. ``background`` starts workers (and demo simulators) and returns the function that stops them."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = background(runtime) if background is not None else None
        try:
            yield
        finally:
            if stop is not None:
                stop()

    app = FastAPI(
        title="hirebridge",
        version=__version__,
        description="Moves candidate data between hiring systems exactly once in effect.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    app.add_middleware(RequestContextMiddleware)
    app.add_exception_handler(AppError, app_error_handler)
    app.add_exception_handler(RequestValidationError, request_validation_handler)
    app.add_exception_handler(StarletteHTTPException, http_exception_handler)
    app.add_exception_handler(Exception, unhandled_error_handler)

    for router in _load_routers():
        app.include_router(router)  # type: ignore[arg-type]
    openapi.install(app)
    return app
