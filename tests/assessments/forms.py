"""Reading the candidate pages' forms the way a browser would, with the standard library's HTML parser."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any


class Forms(HTMLParser):
    """Each form's action, hidden fields (name -> value), radio groups (name -> option values) and checked radios."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self.forms.append(
                {"action": values["action"], "method": values.get("method"), "hidden": {}, "radios": {}, "checked": {}}
            )
        elif tag == "input" and values.get("type") == "hidden" and self.forms:
            self.forms[-1]["hidden"][values["name"]] = values.get("value") or ""
        elif tag == "input" and values.get("type") == "radio" and self.forms:
            self.forms[-1]["radios"].setdefault(values["name"], []).append(values["value"])
            if "checked" in values:
                self.forms[-1]["checked"][values["name"]] = values["value"]


def filled(form: dict[str, Any], answers: dict[str, str]) -> dict[str, str]:
    """What a browser sends for ``form`` with ``answers`` chosen: the hidden fields plus the answers."""
    return {**form["hidden"], **answers}
