"""The ADP simulator as demo mode and `hirebridge sandbox` start it: TLS with a test PKI kept in the data dir."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx

from hirebridge.sandbox.adp.app import demo_server
from hirebridge.sandbox.adp.certs import load_or_generate
from hirebridge.serverthread import ServerThread
from hirebridge.serving import SIMULATORS


def test_both_simulators_are_registered_for_the_demo_and_the_cli() -> None:
    assert {"adp", "personio"} <= set(SIMULATORS)
    assert list(SIMULATORS)[:3] == ["bamboohr", "bob", "workday"]  # the existing demo ports do not move
    assert hasattr(SIMULATORS["adp"], "demo_server")
    assert callable(SIMULATORS["personio"].create_app)


def test_demo_server_serves_https_with_the_pki_it_keeps_in_the_data_dir(tmp_path: Path) -> None:
    app, options = demo_server(tmp_path)
    pki = load_or_generate(tmp_path / "adp-sandbox-pki")
    ca_before = pki.ca_cert.read_bytes()
    thread = ServerThread(app, **options)
    url = thread.start()
    try:
        assert url.startswith("https://127.0.0.1:")
        context = ssl.create_default_context(cafile=str(pki.ca_cert))
        context.load_cert_chain(str(pki.client_cert), str(pki.client_key))
        with httpx.Client(base_url=url, verify=context) as client:
            token = client.post(
                "/auth/oauth/v2/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": "sandbox-client-id",
                    "client_secret": "sandbox-client-secret",
                },
            )
            assert token.status_code == 200
        bare = ssl.create_default_context(cafile=str(pki.ca_cert))
        with httpx.Client(base_url=url, verify=bare) as client:
            assert client.get("/hr/v2/workers").status_code == 401
    finally:
        thread.stop()
    demo_server(tmp_path)  # a second start reuses the kept PKI
    assert load_or_generate(tmp_path / "adp-sandbox-pki").ca_cert.read_bytes() == ca_before
    assert oct(pki.client_key.stat().st_mode & 0o777) == "0o600"
