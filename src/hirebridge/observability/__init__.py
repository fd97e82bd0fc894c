"""What an operator sees of a running service: Prometheus metrics, the log context, health and readiness.

- ``context``: the request id, push id, organization and HRIS that JSON log lines carry (contextvars).
- ``metrics``: the metrics, their hooks, and multiprocess mode (``HIREBRIDGE_METRICS_DIR``).
- ``queue``: gauges read from the database at scrape time (queue depth, oldest job, live workers).
- ``jobs``: the delivery worker's wrapper around one job (context, metrics, one log line).
- ``endpoints``: ``/healthz``, ``/readyz`` and ``/metrics``. See docs/observability.md.
"""
