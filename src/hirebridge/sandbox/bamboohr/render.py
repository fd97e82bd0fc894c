"""Answers of the BambooHR simulator in the shapes BambooHR sends: JSON, XML (``<field id>``) or CSV.

JSON shapes: Get Employee ``{"id": "123", "<field>": ...}`` (PyBambooHR tests, bhr-api-php ``Employee``); reports and
the directory ``{"fields": [{"id", "type", "name"}], "employees": [{"id": "..", ...}]}`` plus ``title`` for reports
(bhr-api-php ``RequestCustomReportResponse``, ``JsonDirectoryEmployee``; PyBambooHR tests). XML mirrors the request
form ``<employee id><field id>``; its exact answer shape is UNCONFIRMED.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from typing import Any

from starlette.responses import Response

Row = dict[str, str | None]


def _xml(root: ET.Element) -> Response:
    body = ET.tostring(root, encoding="unicode", xml_declaration=False)
    return Response('<?xml version="1.0"?>\n' + body, media_type="text/xml; charset=utf-8")


def _json(data: Any) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), media_type="application/json")


def _fields_xml(parent: ET.Element, row: Row) -> None:
    for key, value in row.items():
        if key == "id":
            continue
        node = ET.SubElement(parent, "field", id=key)
        node.text = value or ""


def employee(row: Row, *, as_json: bool) -> Response:
    if as_json:
        return _json(row)
    root = ET.Element("employee", id=row["id"] or "")
    _fields_xml(root, row)
    return _xml(root)


def meta_fields(fields: list[dict[str, str]], *, as_json: bool) -> Response:
    """``GET /v1/meta/fields`` (docs "Get a list of fields"): ``[{"id", "name", "type", "alias"}]`` in JSON, else
    ``<fields><field id type alias>Name</field></fields>``. Ids here are the numbers of the list, aliases the names."""
    listed = [{"id": str(n), "name": f["name"], "type": f["type"], "alias": f["id"]} for n, f in enumerate(fields, 1)]
    if as_json:
        return _json(listed)
    root = ET.Element("fields")
    for f in listed:
        ET.SubElement(root, "field", id=f["id"], type=f["type"], alias=f["alias"]).text = f["name"]
    return _xml(root)


def table(
    kind: str,
    fields: list[dict[str, str]],
    rows: list[Row],
    *,
    output: str,
    title: str | None = None,
) -> Response:
    """A report (``kind="report"``, with a title) or the directory, as ``output`` json, xml or csv."""
    if output == "json":
        data: dict[str, Any] = {"title": title} if title is not None else {}
        data.update({"fields": fields, "employees": rows})
        return _json(data)
    if output == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([f["name"] for f in fields])
        for row in rows:
            writer.writerow([row.get(f["id"]) or "" for f in fields])
        return Response(buffer.getvalue(), media_type="text/csv")
    root = ET.Element(kind)
    if title is not None:
        ET.SubElement(root, "title").text = title
    meta = ET.SubElement(root, "fields" if kind == "report" else "fieldset")
    for f in fields:
        ET.SubElement(meta, "field", id=f["id"], type=f["type"]).text = f["name"]
    employees = ET.SubElement(root, "employees")
    for row in rows:
        _fields_xml(ET.SubElement(employees, "employee", id=row["id"] or ""), row)
    return _xml(root)
