"""In-memory state of the Bob simulator: employees with delayed visibility, named lists, the search rate window.

Every write is committed at once but becomes *visible* to reads only ``read_lag_seconds`` later (the documented
"wait up to 20 seconds before a follow-up read"): until then a read sees the previous version of the employee, or
nothing for a new one. ``committed()`` ignores the lag; it is what the admin surface lists.
"""

from __future__ import annotations

import copy
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Employee = dict[str, Any]

SEED_LISTS: dict[str, tuple[str, ...]] = {
    "site": ("New York", "London", "Tel Aviv"),
    "department": ("Engineering", "Sales", "People", "Product"),
    "title": ("Software Engineer", "Account Executive", "Recruiter", "Product Manager", "Engineering Manager"),
}


@dataclass
class ListItem:
    id: int
    name: str
    archived: bool = False

    def wire(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "archived": self.archived, "children": []}


@dataclass
class _Versions:
    """The committed versions of one employee, each with the moment it becomes visible to reads."""

    history: list[tuple[float, Employee]] = field(default_factory=list)

    @property
    def latest(self) -> Employee:
        return self.history[-1][1]

    def visible(self, now: float) -> Employee | None:
        seen = None
        for visible_at, snapshot in self.history:
            if visible_at <= now:
                seen = snapshot
        return seen

    def prune(self, now: float) -> None:
        """Forget versions hidden behind a newer visible one."""
        visible = [i for i, (at, _) in enumerate(self.history) if at <= now]
        if len(visible) > 1:
            del self.history[: visible[-1]]


@dataclass
class SearchWindow:
    limit: int
    started: float = 0.0
    used: int = 0


class BobState:
    """Thread-safe store. ``clock`` is monotonic seconds (visibility); ``wall`` is Unix time (rate-limit reset)."""

    def __init__(
        self,
        *,
        read_lag_seconds: float,
        search_limit_per_minute: int,
        seed: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._initial = (read_lag_seconds, search_limit_per_minute)
        self._seed = seed
        self._clock = clock
        self._wall = wall
        self._lock = threading.RLock()  # re-entrant: update() runs a change that reads the lists
        self._init_state()

    def _init_state(self) -> None:
        self.read_lag_seconds, limit = self._initial
        self._random = random.Random(self._seed)  # ids only, not security
        self._employees: dict[str, _Versions] = {}
        self._order: list[str] = []
        self._lists: dict[str, list[ListItem]] = {}
        self._next_item_id = 2103445
        for name, values in SEED_LISTS.items():
            for value in values:
                self._add_item_locked(name, value)
        self._search = SearchWindow(limit=limit)

    def reset(self) -> None:
        with self._lock:
            self._init_state()

    # settings -------------------------------------------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        with self._lock:
            return {"read_lag_seconds": self.read_lag_seconds, "search_limit_per_minute": self._search.limit}

    def configure(self, *, read_lag_seconds: float | None, search_limit_per_minute: int | None) -> None:
        with self._lock:
            if read_lag_seconds is not None:
                self.read_lag_seconds = read_lag_seconds
            if search_limit_per_minute is not None:
                self._search = SearchWindow(limit=search_limit_per_minute)

    # named lists ----------------------------------------------------------------------------------------------

    def _add_item_locked(self, list_name: str, name: str) -> ListItem:
        item = ListItem(id=self._next_item_id, name=name)
        self._next_item_id += self._random.randint(1, 97)
        self._lists.setdefault(list_name, []).append(item)
        return item

    def add_list_item(self, list_name: str, name: str) -> ListItem:
        """Add a value to a list (creating the list); an existing value with the same name is returned as is."""
        with self._lock:
            for item in self._lists.get(list_name, []):
                if item.name == name:
                    return item
            return self._add_item_locked(list_name, name)

    def list_items(self, list_name: str) -> list[ListItem] | None:
        with self._lock:
            items = self._lists.get(list_name)
            return None if items is None else list(items)

    def all_lists(self) -> dict[str, list[ListItem]]:
        with self._lock:
            return {name: list(items) for name, items in self._lists.items()}

    def find_item(self, list_name: str, value: Any) -> ListItem | None:
        """The active item whose name, or id (as number or string), equals ``value``."""
        with self._lock:
            for item in self._lists.get(list_name, []):
                if not item.archived and (item.name == value or str(item.id) == str(value)):
                    return item
            return None

    def item_name(self, list_name: str, item_id: Any) -> str | None:
        with self._lock:
            for item in self._lists.get(list_name, []):
                if str(item.id) == str(item_id):
                    return item.name
            return None

    # employees ------------------------------------------------------------------------------------------------

    def new_employee_id(self) -> str:
        with self._lock:
            while True:
                candidate = str(self._random.randrange(10**18, 4 * 10**18))
                if candidate not in self._employees:
                    return candidate

    def commit(self, employee: Employee) -> None:
        """Store a new version of an employee (new or existing); reads see it after the lag."""
        with self._lock:
            now = self._clock()
            versions = self._employees.get(employee["id"])
            if versions is None:
                versions = self._employees[employee["id"]] = _Versions()
                self._order.append(employee["id"])
            versions.history.append((now + self.read_lag_seconds, copy.deepcopy(employee)))
            versions.prune(now)

    def commit_new(self, employee: Employee) -> bool:
        """Store a new employee unless another one already has its email (any case, any status); False if so."""
        with self._lock:
            wanted = str(employee["email"]).casefold()
            if any(str(v.latest["email"]).casefold() == wanted for v in self._employees.values()):
                return False
            self.commit(employee)
            return True

    def update(self, employee_id: str, change: Callable[[Employee], Employee]) -> tuple[Employee, bool] | None:
        """Apply ``change`` to the last committed version (ignoring the lag) and commit the result, atomically:
        (the employee, whether anything changed; nothing is committed when not).

        None when no such employee exists; exceptions from ``change`` leave the employee untouched.
        """
        with self._lock:
            versions = self._employees.get(employee_id)
            if versions is None:
                return None
            updated = change(copy.deepcopy(versions.latest))
            if updated == versions.latest:
                return updated, False
            self.commit(updated)
            return updated, True

    def visible(self) -> list[Employee]:
        """Every employee as reads see it now, in creation order."""
        with self._lock:
            now = self._clock()
            seen = (self._employees[i].visible(now) for i in self._order)
            return [copy.deepcopy(e) for e in seen if e is not None]

    def committed(self) -> list[Employee]:
        with self._lock:
            return [copy.deepcopy(self._employees[i].latest) for i in self._order]

    # search rate limit ----------------------------------------------------------------------------------------

    def take_search_slot(self) -> tuple[bool, int, int, int]:
        """Count one search call in the current minute: (allowed, limit, remaining, reset epoch seconds)."""
        with self._lock:
            now = self._wall()
            window = self._search
            if now - window.started >= 60:
                window.started, window.used = now, 0
            reset = int(window.started + 60)
            if window.used >= window.limit:
                return False, window.limit, 0, reset
            window.used += 1
            return True, window.limit, window.limit - window.used, reset
