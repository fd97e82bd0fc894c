"""What a log line is about: the request, push, organization and HRIS in hand, as context variables.

The request middleware binds the request id; the delivery worker binds the job, its push and organization around
each job, and the push handler adds the HRIS once it knows it. ``logsetup``'s JSON format writes whatever is bound.
Values are identifiers only (ids, a system name), never personal data.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar, Token

FIELDS = ("request_id", "job_id", "job_kind", "push_id", "organization_id", "hris")

_vars: dict[str, ContextVar[str | None]] = {name: ContextVar(f"hirebridge_{name}", default=None) for name in FIELDS}


def bind(**values: str | None) -> Callable[[], None]:
    """Set the given fields for the current context; returns the function that restores what they were."""
    tokens: list[tuple[ContextVar[str | None], Token[str | None]]] = []
    for name, value in values.items():
        var = _vars[name]  # an unknown field is a programming error: KeyError
        tokens.append((var, var.set(None if value is None else str(value)[:200])))

    def reset() -> None:
        for var, token in reversed(tokens):
            var.reset(token)

    return reset


def get(name: str) -> str | None:
    return _vars[name].get()


def current() -> dict[str, str]:
    """The bound fields (unset ones left out)."""
    values = {name: var.get() for name, var in _vars.items()}
    return {name: value for name, value in values.items() if value is not None}
