"""Ashby's published JSON Schemas for what the ATS API answers, derived from Ashby's OpenAPI document and kept in
``ashby_schemas.json`` next to this module (its ``source`` says from where, at which commit, and every deviation).

- ``document()``: the whole file: ``components.schemas`` (Ashby's objects, ``$ref``s as
  ``#/components/schemas/<Name>``, so they drop into an OpenAPI document unchanged), ``operations`` (operation ->
  ``{"results": <schema name>, "envelope": "SuccessResponse" | "ListResponse", "ashby": <is it Ashby's own>}``) and
  ``webhooks`` (webhook action -> payload schema name).
- ``results_schema(operation)`` / ``webhook_schema(action)``: a self-contained JSON Schema (draft 2020-12) for an
  operation's ``results`` or a webhook's payload, for a validator such as ``jsonschema``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

DIALECT = "https://json-schema.org/draft/2020-12/schema"


@cache
def document() -> dict[str, Any]:
    text = resources.files("hirebridge.ats").joinpath("ashby_schemas.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _rooted(name: str) -> dict[str, Any]:
    doc = document()
    if name not in doc["components"]["schemas"]:
        raise KeyError(name)
    return {"$schema": DIALECT, "$ref": f"#/components/schemas/{name}", "components": doc["components"]}


def results_schema(operation: str) -> dict[str, Any]:
    """The schema of ``results`` in a successful answer of ``operation`` (KeyError for one not in the map)."""
    return _rooted(document()["operations"][operation]["results"])


def envelope_schema(operation: str) -> dict[str, Any]:
    """The schema of the whole successful answer's envelope (``success``, and the paging fields of a list)."""
    return _rooted(document()["operations"][operation]["envelope"])


def webhook_schema(action: str) -> dict[str, Any]:
    """The schema of a webhook delivery's JSON body for ``action`` (KeyError for one not emitted)."""
    return _rooted(document()["webhooks"][action])
