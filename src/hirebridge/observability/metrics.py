"""Prometheus metrics of the service, with the official ``prometheus-client``, and how they are exposed.

Labels are bounded: HTTP requests by method, route *template* (``/partner/v1.0/workday/candidates/{candidate_id}``,
``<unmatched>`` for no route) and status; pushes by HRIS system and outcome; never a raw path, an id or a name.

Multiprocess mode: when ``HIREBRIDGE_METRICS_DIR`` is set (or the operator sets ``PROMETHEUS_MULTIPROC_DIR``), every
process on the machine (each API process and each ``hirebridge worker``) writes its counters and histograms to files
in that directory, and ``/metrics`` of any API process adds them up (``MultiProcessCollector``). ``setup_multiprocess``
must run before the first sample is recorded (the CLI calls it first thing in ``serve`` and ``worker``); with
``clean=True`` it removes the files of processes that are no longer running.
Gauges read from the database (``observability.queue``) are computed by the process that answers the scrape.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
    values,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from hirebridge.observability import context
from hirebridge.settings import Settings

log = logging.getLogger(__name__)

ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"  # what generate_latest writes, for any Prometheus
UNKNOWN = "unknown"

# No *_created samples: they double the exposition and nothing here reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]
REGISTRY = CollectorRegistry()  # this process's own metrics (single-process mode)
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

HTTP_REQUESTS = Counter(
    "hirebridge_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "hirebridge_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
PUSHES = Counter(
    "hirebridge_pushes",
    "HRIS pushes that ended, by HRIS system and outcome (succeeded, failed).",
    ["hris", "outcome"],
    registry=REGISTRY,
)
PUSH_ATTEMPTS = Counter(
    "hirebridge_push_attempts",
    "Recorded claims of push jobs by HRIS system and outcome as in the attempt log (succeeded, retry, unknown, "
    "rejected, auth, error, waited).",
    ["hris", "outcome"],
    registry=REGISTRY,
)
PUSH_ATTEMPT_DURATION = Histogram(
    "hirebridge_push_attempt_duration_seconds",
    "Wall time of one push attempt (rate-limit wait, HRIS calls and recording), by HRIS system.",
    ["hris"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0),
    registry=REGISTRY,
)
HRIS_REQUEST_DURATION = Histogram(
    "hirebridge_hris_request_duration_seconds",
    "Time of one HTTP exchange with an HRIS during a push, by HRIS system.",
    ["hris"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0),
    registry=REGISTRY,
)
RATE_LIMIT_WAITS = Counter(
    "hirebridge_rate_limit_waits",
    "Times a push waited for a rate limit, by HRIS system and limiter (hirebridge: the connection's own token "
    "bucket; hris: the HRIS answered 429).",
    ["hris", "limiter"],
    registry=REGISTRY,
)
RATE_LIMIT_WAIT_SECONDS = Counter(
    "hirebridge_rate_limit_wait_seconds",
    "Seconds spent waiting for the connection's token bucket before calling the HRIS, by HRIS system.",
    ["hris"],
    registry=REGISTRY,
)
WEBHOOK_DELIVERIES = Counter(
    "hirebridge_webhook_deliveries",
    "Recorded webhook delivery attempts by outcome (succeeded, retry, failed).",
    ["outcome"],
    registry=REGISTRY,
)


def multiprocess_dir() -> str | None:
    return os.environ.get(ENV) or None


def setup_multiprocess(settings: Settings, *, clean: bool = False, processes: int = 1) -> Path | None:
    """Turn on multiprocess mode when ``HIREBRIDGE_METRICS_DIR`` (or ``PROMETHEUS_MULTIPROC_DIR``) is set, or when
    this command starts several API ``processes`` (then in ``<data dir>/metrics`` unless set); returns the directory,
    or None (each process keeps its own metrics). Call before the first sample is recorded and before starting other
    processes: the variable is exported, so processes this one starts inherit it."""
    if settings.metrics_dir is not None:
        directory = settings.metrics_dir.resolve()
        os.environ[ENV] = str(directory)
    elif multiprocess_dir() is not None:
        directory = Path(str(multiprocess_dir())).resolve()
    elif processes > 1:
        directory = (settings.data_dir / "metrics").resolve()
        os.environ[ENV] = str(directory)
    else:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    if clean:
        remove_dead_process_files(directory)
    # prometheus_client picks its value class (in memory, or files) when it is imported: pick again now.
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
    return directory


_DB_FILE = re.compile(r"^[a-z_]+_(\d+)\.db$")


def remove_dead_process_files(directory: Path) -> int:
    """Remove the files of processes that are no longer running (a new ``serve`` starts its counters afresh while
    live workers on the same machine keep theirs). Returns how many were removed."""
    removed = 0
    for path in directory.glob("*.db"):
        match = _DB_FILE.match(path.name)
        if match is None or _alive(int(match.group(1))):
            continue
        path.unlink(missing_ok=True)
        removed += 1
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Scrape(Collector):
    """What one scrape reads: the process's (or every process's) metrics, then the collectors given."""

    def __init__(self, base: CollectorRegistry, extra: Iterable[Collector]) -> None:
        self.base = base
        self.extra = list(extra)

    def collect(self) -> Iterator[Metric]:
        yield from self.base.collect()
        for collector in self.extra:
            yield from collector.collect()


def render(extra: Iterable[Collector] = ()) -> bytes:
    """The text exposition: this process's metrics, or every process's in multiprocess mode, plus ``extra``
    (collectors computed now by this process, such as the database gauges)."""
    directory = multiprocess_dir()
    base = REGISTRY
    if directory is not None:
        base = CollectorRegistry()
        MultiProcessCollector(base, path=directory)  # type: ignore[no-untyped-call]
    return generate_latest(_Scrape(base, extra))


# Hooks -------------------------------------------------------------------------------------------------------------


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """One answered HTTP request (the request middleware calls it)."""
    method = method if method in _METHODS else "OTHER"
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_DURATION.labels(method, route).observe(seconds)


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def rate_limit_waited(seconds: float) -> None:
    """A push waited ``seconds`` for its connection's token bucket (HRIS from the log context)."""
    hris = context.get("hris") or UNKNOWN
    RATE_LIMIT_WAITS.labels(hris, "hirebridge").inc()
    RATE_LIMIT_WAIT_SECONDS.labels(hris).inc(seconds)
