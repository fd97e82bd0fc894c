"""The served OpenAPI document, and a Python client generated from it by openapi-python-client."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import jsonschema
import pytest

PACKAGE = "hirebridge_generated_client"
GENERATOR = Path(sys.executable).parent / "openapi-python-client"


@pytest.fixture(scope="session")
def document(service: str) -> dict[str, Any]:
    response = httpx.get(f"{service}/openapi.json", timeout=30)
    assert response.status_code == 200, response.text
    served: dict[str, Any] = response.json()
    return served


@pytest.fixture(scope="session")
def generated(service: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The generated client package, built from the document as a client would download it."""
    workdir = tmp_path_factory.mktemp("generated-client")
    spec = workdir / "openapi.json"
    spec.write_bytes(httpx.get(f"{service}/openapi.json", timeout=30).content)
    config = workdir / "config.yaml"
    config.write_text(f"package_name_override: {PACKAGE}\nproject_name_override: {PACKAGE}\npost_hooks: []\n")
    result = subprocess.run(
        [str(GENERATOR), "generate", "--path", str(spec), "--meta", "none", "--config", str(config)],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The generator warns about every piece of the document it had to skip; there must be none.
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(workdir))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(workdir))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def assert_declared(document: dict[str, Any], operation: dict[str, Any], where: str, response: httpx.Response) -> None:
    """``response`` has a status ``operation`` declares, a body its schema allows and, for an error, a declared code."""
    declared = operation["responses"].get(str(response.status_code))
    assert declared is not None, f"{where} answered {response.status_code}, which it does not declare"
    media = declared["content"]["application/json"]
    body = response.json()
    schema = {**media["schema"], "components": document["components"]}
    jsonschema.Draft202012Validator(schema).validate(body)
    code = body.get("error_code") or body.get("errorInfo", {}).get("code")
    if code is not None:
        examples = {e["value"].get("error_code") or e["value"]["errorInfo"]["code"] for e in media["examples"].values()}
        assert code in examples, f"{where} answered {code}, which has no declared example ({sorted(examples)})"
