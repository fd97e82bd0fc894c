"""The report's markdown table: one row per figure, one column per code version, and the ratio after/before."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

Getter = Callable[[dict[str, Any]], float | None]


def _load(key: str, field: str) -> Getter:
    def get(v: dict[str, Any]) -> float | None:
        r = _dig(v, key)
        value = None if r is None else r.get(field)
        return None if value is None else float(value)

    return get


def _cpu_ms(key: str) -> Getter:
    def get(v: dict[str, Any]) -> float | None:
        r = _dig(v, key)
        if not r or not r["requests"] or r.get("server_cpu_s") is None:
            return None
        return float(r["server_cpu_s"]) * 1000 / int(r["requests"])

    return get


def _pg(key: str, field: str, scale: float = 1.0) -> Getter:
    def get(v: dict[str, Any]) -> float | None:
        r = _dig(v, key)
        if not r or not r["requests"] or not r.get("pg_stat") or field not in r["pg_stat"]:
            return None
        return float(r["pg_stat"][field]) * scale / int(r["requests"])

    return get


def _busy(key: str) -> Getter:
    """CPUs the server's process tree used during the window (CPU seconds per second)."""

    def get(v: dict[str, Any]) -> float | None:
        r = _dig(v, key)
        if not r or r.get("server_cpu_s") is None or not r.get("seconds"):
            return None
        return float(r["server_cpu_s"]) / float(r["seconds"])

    return get


def _per_request(key: str, counter: str) -> Getter:
    def get(v: dict[str, Any]) -> float | None:
        r = _dig(v, key)
        if not r or not r["requests"] or not r.get("counters"):
            return None
        c = r["counters"]
        value = c["kinds"].get(counter, 0) if counter == "begin" else c[counter]
        return float(value) / int(r["requests"])

    return get


def _dig(v: dict[str, Any], key: str) -> dict[str, Any] | None:
    for part in key.split("/"):
        if not isinstance(v, dict) or part not in v:
            return None
        v = v[part]
    return v if isinstance(v, dict) else None


def _worker(run: str, field: str) -> Getter:
    def get(v: dict[str, Any]) -> float | None:
        r = _dig(v, f"workers/{run}")
        return None if r is None else float(r[field])

    return get


def _worker_per_push(run: str, field: str) -> Getter:
    def get(v: dict[str, Any]) -> float | None:
        r = _dig(v, f"workers/{run}")
        return None if r is None or not r["pushes"] else float(r[field]) / int(r["pushes"])

    return get


def _share(run: str) -> Getter:
    def get(v: dict[str, Any]) -> float | None:
        r = _dig(v, f"workers/{run}")
        return None if r is None else 100 * float(r["rate"]) / float(r["limit"])

    return get


def _value(key: str) -> Getter:
    def get(v: dict[str, Any]) -> float | None:
        value = v.get(key)
        return None if value is None else float(value)

    return get


ROWS: list[tuple[str, Getter, str]] = [
    ("**Candidate create** (`POST /partner/v1.0/workday/candidates`)", lambda v: None, ""),
    ("server CPU per create, 32 clients / 1 client (ms)", _cpu_ms("create@32"), ".2f"),
    ("", _cpu_ms("create@1"), ".2f"),
    ("PostgreSQL CPU per create, 1 client (ms)", _pg("count.create", "backend_cpu_s", 1000), ".2f"),
    ("new PostgreSQL connections per create, 32 clients", _per_request("count.create@32", "connections"), ".2f"),
    ("SQL statements per create", _per_request("count.create", "statements"), ".1f"),
    ("transactions (BEGIN) / round trips per create", _per_request("count.create", "begin"), ".1f"),
    ("", _per_request("count.create", "round_trips"), ".1f"),
    ("creates/s, 1 client", _load("create@1", "rps"), ".0f"),
    ("p50 / p99, 1 client (ms)", _load("create@1", "p50_ms"), ".1f"),
    ("", _load("create@1", "p99_ms"), ".1f"),
    ("creates/s, 32 clients", _load("create@32", "rps"), ".0f"),
    ("p50 / p99, 32 clients (ms)", _load("create@32", "p50_ms"), ".0f"),
    ("", _load("create@32", "p99_ms"), ".0f"),
    ("**`candidate.pushToHris`** (API side, answered `queued`)", lambda v: None, ""),
    ("server CPU per request, 32 clients (ms)", _cpu_ms("push_api@32"), ".2f"),
    ("PostgreSQL CPU per request, 1 client (ms)", _pg("count.push_api", "backend_cpu_s", 1000), ".2f"),
    ("SQL statements per request", _per_request("count.push_api", "statements"), ".1f"),
    ("requests/s, 32 clients", _load("push_api@32", "rps"), ".0f"),
    ("p99, 32 clients (ms)", _load("push_api@32", "p99_ms"), ".0f"),
    ("**Push worker**, 1 process x 32 threads, 50/s limit, HRIS 200 ms", lambda v: None, ""),
    ("pushes/s", _worker("limited", "rate"), ".1f"),
    ("share of the 50/s limit (%)", _share("limited"), ".0f"),
    ("worker CPU per push (ms)", _worker("limited", "cpu_ms_per_push"), ".2f"),
    ("new PostgreSQL connections per push", _worker_per_push("limited", "new_connections"), ".2f"),
    ("SQL statements per push", _worker("limited", "statements_per_push"), ".1f"),
    ("transactions (BEGIN) per push", _worker("limited", "transactions_per_push"), ".1f"),
    ("failed pushes / HRIS 429s", _worker("limited", "failed"), ".0f"),
    ("", _worker("limited", "hris_throttled"), ".0f"),
    ("**Scale-out** (2 CPUs shared by everything)", lambda v: None, ""),
    ("creates/s, 32 clients: 1 API process / 2 (`serve --processes 2`)", _load("create@32", "rps"), ".0f"),
    ("", _load("scale2/create@32", "rps"), ".0f"),
    ("CPUs used by the API processes meanwhile: 1 / 2 processes", _busy("create@32"), ".2f"),
    ("", _busy("scale2/create@32"), ".2f"),
    ("server CPU per create: 1 / 2 processes (ms)", _cpu_ms("create@32"), ".2f"),
    ("", _cpu_ms("scale2/create@32"), ".2f"),
    ("`/healthz` req/s, 32 clients: 1 / 2 processes", _load("healthz@32", "rps"), ".0f"),
    ("", _load("scale2/healthz@32", "rps"), ".0f"),
    ("pushes/s, 1 worker x 8 threads (100/s limit, HRIS 200 ms)", _worker("scale1", "rate"), ".1f"),
    ("pushes/s, 2 workers x 8 threads (same)", _worker("scale2", "rate"), ".1f"),
    ("worker CPU / statements per push, 1 worker x 8 threads", _worker("scale1", "cpu_ms_per_push"), ".2f"),
    ("", _worker("scale1", "statements_per_push"), ".1f"),
    ("PostgreSQL CPU per push, 1 worker x 8 threads (ms)", _worker("scale1", "pg_cpu_ms_per_push"), ".2f"),
    ("**Ceilings and idle**", lambda v: None, ""),
    ("`/healthz`: req/s, 32 clients", _load("healthz@32", "rps"), ".0f"),
    ("`/healthz`: server CPU per request (ms)", _cpu_ms("healthz@32"), ".2f"),
    ("`/healthz`: SQL statements per request", _per_request("count.healthz", "statements"), ".1f"),
    ("idle `serve` (default threads): SQL statements/s", _value("idle_serve_statements_per_s"), ".1f"),
]


def _fmt(values: list[float | None], fmt: str) -> str:
    return " / ".join("n/a" if x is None or math.isnan(x) else format(x, fmt) for x in values)


def _ratio(before: list[float | None], after: list[float | None]) -> str:
    parts = []
    for b, a in zip(before, after, strict=True):
        if a is None or b is None or math.isnan(a) or math.isnan(b) or b == 0:
            parts.append("n/a")
        else:
            parts.append(f"{a / b:.2f}x")
    return " / ".join(parts)


def render(results: dict[str, Any]) -> str:
    labels = list(results["versions"])
    versions = [results["versions"][label] for label in labels]
    lines = [
        f"Run {results['started']} to {results['finished']} (UTC) on {results['machine']}; PostgreSQL, one fresh "
        "database per version",
        "",
        "| figure | " + " | ".join(labels) + (" | after/before |" if len(labels) == 2 else " |"),
        "|---|" + "---:|" * (len(labels) + (1 if len(labels) == 2 else 0)),
    ]
    rows: list[tuple[str, list[Getter], str]] = []
    for label, get, fmt in ROWS:
        if label == "" and rows:
            rows[-1][1].append(get)
        else:
            rows.append((label, [get], fmt))
    for label, getters, fmt in rows:
        if not fmt:
            lines.append(f"| {label} |" + " |" * (len(labels) + (1 if len(labels) == 2 else 0)))
            continue
        cells = [[g(v) for g in getters] for v in versions]
        row = f"| {label} | " + " | ".join(_fmt(c, fmt) for c in cells)
        if len(labels) == 2:
            row += f" | {_ratio(cells[0], cells[1])}"
        lines.append(row + " |")
    lines += ["", _ceiling(results.get("ceiling", {})), _loadgen(results)]
    for label, v in zip(labels, versions, strict=True):
        if v.get("scale2_error"):
            lines.append(f"In {label}, `serve --processes 2` failed: {v['scale2_error'].splitlines()[0]}")
        if _per_request("count.healthz", "statements")(v) == 0:
            lines.append(f"In {label}, `/healthz` runs no SQL: it is the ceiling of the HTTP stack alone.")
    return "\n".join(lines)


def _ceiling(c: dict[str, Any]) -> str:
    i32, i1, counted = c.get("insert@32"), c.get("insert@1"), c.get("count.insert")
    pg_cpu = _pg("count.insert", "backend_cpu_s", 1000)(c) or math.nan
    if not (i32 and i1 and counted):
        return ""
    cpu = i32["server_cpu_s"] * 1000 / max(1, i32["requests"])
    statements = counted["counters"]["statements"] / max(1, counted["requests"])
    return (
        f"Ceiling, a bare one-INSERT FastAPI endpoint on the same stack (`bench/ceiling.py`): {i32['rps']:.0f} req/s "
        f"at 32 clients (p50 {i32['p50_ms']:.1f} ms, p99 {i32['p99_ms']:.1f} ms), {i1['rps']:.0f} req/s at 1 client; "
        f"{cpu:.2f} ms server CPU, {pg_cpu:.2f} ms PostgreSQL CPU (1 client) and {statements:.1f} SQL statements "
        "per request."
    )


def _loadgen(results: dict[str, Any]) -> str:
    worst = 0.0
    for v in [results.get("ceiling", {}), *results["versions"].values()]:
        for r in _loads(v):
            if r.get("requests") and r.get("server_cpu_s"):
                worst = max(worst, r["loadgen_cpu_s"] / r["server_cpu_s"])
    return f"The load generator used at most {worst:.0%} of the server's CPU time in any measured window."


def _loads(v: Any) -> list[dict[str, Any]]:
    if not isinstance(v, dict):
        return []
    if "loadgen_cpu_s" in v:
        return [v]
    return [r for x in v.values() for r in _loads(x)]
