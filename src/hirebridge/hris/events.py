"""What the push domain announces, and who listens. The push domain never imports the layers that listen.

``push_finished(runtime, session, organization_id, push_id)`` is called when a push reaches succeeded or failed,
inside the fenced transaction that records the outcome, so whatever a subscriber writes (the ATS API's
``pushToHRIS`` webhook job) commits or rolls back with it. Subscribers register at import time with
``on_push_finished``; every process that runs push jobs imports them through ``delivery.handlers.HANDLER_MODULES``.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from hirebridge.runtime import Runtime

PushFinishedSubscriber = Callable[[Runtime, Session, str, str], object]

_push_finished: list[PushFinishedSubscriber] = []


def on_push_finished(subscriber: PushFinishedSubscriber) -> PushFinishedSubscriber:
    """Call ``subscriber(runtime, session, organization_id, push_id)`` for every finished push (once per function)."""
    if subscriber not in _push_finished:
        _push_finished.append(subscriber)
    return subscriber


def push_finished(runtime: Runtime, session: Session, organization_id: str, push_id: str) -> None:
    """Tell every subscriber, in order, in the caller's transaction; a subscriber's error rolls it back."""
    for subscriber in list(_push_finished):
        subscriber(runtime, session, organization_id, push_id)
