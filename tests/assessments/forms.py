"""Reading the candidate pages' forms the way a browser would, with the standard library's HTML parser."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any


class Forms(HTMLParser):
    """Each form's action and its radio groups (name -> option values, in order)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self.forms.append({"action": values["action"], "method": values.get("method"), "radios": {}})
        elif tag == "input" and values.get("type") == "radio" and self.forms:
            self.forms[-1]["radios"].setdefault(values["name"], []).append(values["value"])
