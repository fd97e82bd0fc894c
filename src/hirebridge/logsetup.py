"""How the service's processes log: one format on stderr, and libraries that would log personal data kept quiet.

httpx logs every request's full URL at INFO (query string included; a customer's webhook or write-back URL may carry
a token there), and SQLAlchemy logs statements at INFO and result rows at DEBUG (candidates' names and emails). They
are kept at WARNING whatever the service's level; our own exchange records redact what they keep. SQL parameters are
also hidden from error messages by the engine (``db.engine.make_engine``: ``hide_parameters``).

``HIREBRIDGE_LOG_FORMAT=json`` writes one JSON object per line: ``time`` (UTC, ISO 8601), ``level``, ``logger``,
``message``, and whatever of ``request_id``, ``job_id``, ``job_kind``, ``push_id``, ``organization_id`` and ``hris``
is bound (``observability.context``: ids and a system name, never personal data). A record with an exception adds
``exception``: its type and stack frames, the exception's message withheld (it may quote stored values).
"""

from __future__ import annotations

import json
import logging
import traceback
from datetime import UTC, datetime
from typing import TextIO

from hirebridge.observability import context

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
QUIET_LIBRARIES = ("httpx", "httpcore", "sqlalchemy.engine", "sqlalchemy.pool", "sqlalchemy.orm")


def quiet_libraries() -> None:
    """Keep the libraries that log URLs, SQL or rows at WARNING, even when the service logs at INFO or DEBUG."""
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger().level))


class JsonFormatter(logging.Formatter):
    """One JSON object per line (see the module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        exception = record.exc_info[1] if record.exc_info else None
        return json_line(record.levelname, record.name, record.getMessage(), record.created, exception)


def json_line(
    level: str, logger: str, message: str, created: float | None = None, exception: BaseException | None = None
) -> str:
    """One log record as a JSON object, with the bound context (``observability.context``)."""
    moment = datetime.fromtimestamp(created, UTC) if created is not None else datetime.now(UTC)
    entry: dict[str, object] = {
        "time": moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "level": level,
        "logger": logger,
        "message": message,
    }
    entry.update(context.current())
    if exception is not None:
        entry["exception"] = withheld_traceback(exception)
    return json.dumps(entry, ensure_ascii=False, default=str)


def withheld_traceback(exc: BaseException) -> str:
    """The exception's type and frames (and its causes'), without any exception's message."""
    parts: list[str] = []
    seen: BaseException | None = exc
    while seen is not None and len(parts) < 5:
        frames = "".join(traceback.format_list(traceback.extract_tb(seen.__traceback__)))
        parts.append(f"{frames}{type(seen).__module__}.{type(seen).__qualname__} (message withheld)")
        seen = seen.__cause__ or seen.__context__
    return "\n\ncaused by\n\n".join(parts)


def configure(level: str, stream: TextIO, log_format: str = "text") -> None:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(FORMAT))
    logging.basicConfig(level=level.upper(), handlers=[handler])
    quiet_libraries()
