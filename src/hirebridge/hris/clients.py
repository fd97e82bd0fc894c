"""A connection's connector, for calls an operator or API caller makes outside a push (``hrisConnection.test``,
``hrisConnection.request``, ``hrisPush.preview``): the connection's stored settings and field mapping, an HTTP client
that records every exchange and takes the connection's rate-limit slot before each call (the same bucket its pushes
use, so such calls never push the HRIS past its limit), and the same timeout as a push.
"""

from __future__ import annotations

from typing import Any

import httpx

from hirebridge.connectors.base import Connector
from hirebridge.connectors.registry import make_connector
from hirebridge.connectors.tokens import TokenStore
from hirebridge.connectors.transport import make_http_client
from hirebridge.delivery.ratelimit import acquire
from hirebridge.hris.models import HrisConnection
from hirebridge.hris.push import rate_key
from hirebridge.runtime import Runtime

HTTP_TIMEOUT_SECONDS = 20.0
RATE_WAIT_SECONDS = 10.0  # the longest a call waits for its rate-limit slot (then RateLimitTimeout)


def rate_limited_client(runtime: Runtime, connection: HrisConnection, exchanges: list[dict[str, Any]]) -> httpx.Client:
    """An HTTP client for ``connection``: exchanges recorded (redacted) into ``exchanges``, one rate-limit slot per
    call."""
    rate = max(connection.rate_limit_per_second, 0.01)
    return make_http_client(
        timeout=HTTP_TIMEOUT_SECONDS,
        on_exchange=exchanges.append,
        before_request=lambda: acquire(runtime, rate_key(connection.id), rate, timeout=RATE_WAIT_SECONDS),
        allow_private_network=runtime.settings.private_network_allowed,
    )


def connector_for(
    connection: HrisConnection,
    credentials: dict[str, Any],
    http: httpx.Client,
    token_store: TokenStore | None = None,
) -> Connector:
    """The connector of ``connection``'s system with its stored settings and mapping (UnsupportedSystem if none)."""
    return make_connector(
        connection.system,
        base_url=connection.base_url,
        credentials=credentials,
        field_mapping=dict(connection.field_mapping or {}),
        settings=dict(connection.settings or {}),
        http=http,
        token_store=token_store,
    )
