"""How the service's processes log: one format on stderr, and libraries that would log personal data kept quiet.

httpx logs every request's full URL at INFO (query string included; a customer's webhook or write-back URL may carry
a token there), and SQLAlchemy logs statements at INFO and result rows at DEBUG (candidates' names and emails). They
are kept at WARNING whatever the service's level; our own exchange records redact what they keep. SQL parameters are
also hidden from error messages by the engine (``db.engine.make_engine``: ``hide_parameters``).
"""

from __future__ import annotations

import logging
from typing import TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
QUIET_LIBRARIES = ("httpx", "httpcore", "sqlalchemy.engine", "sqlalchemy.pool", "sqlalchemy.orm")


def quiet_libraries() -> None:
    """Keep the libraries that log URLs, SQL or rows at WARNING, even when the service logs at INFO or DEBUG."""
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger().level))


def configure(level: str, stream: TextIO) -> None:
    logging.basicConfig(level=level.upper(), format=FORMAT, stream=stream)
    quiet_libraries()
