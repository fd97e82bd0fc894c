"""How the ADP simulator demands the client certificate.

The server speaks TLS with the test CA's server certificate and asks every client for a certificate
(``ssl.CERT_OPTIONAL`` with the test CA as the only trust anchor):

- no certificate: the handshake completes and the request reaches the app, which answers ADP's 401 (ADP's
  "API Common Exceptions" page: "401 ... the proper client SSL certificate was not presented");
- a certificate that does not chain to the test CA: OpenSSL aborts the handshake (alert ``unknown_ca``). Python's
  ``ssl`` module offers no verify callback, so the simulator cannot turn this case into an HTTP 401; it refuses
  earlier, which no client can mistake for success;
- a certificate from the test CA: the request reaches the app, which checks again (issuer and signature, with the
  DER certificate the connection presented) before the bearer token is even looked at.

uvicorn puts no TLS details in the ASGI scope, so ``PeerCertH11Protocol`` copies the peer certificate of each
connection into the per-request ``scope["state"]`` (which uvicorn builds from the protocol's ``app_state``).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from uvicorn.protocols.http.h11_impl import H11Protocol

from hirebridge.sandbox.adp.certs import TestPki
from hirebridge.serverthread import ServerThread

PEER_CERT = "adp_sandbox_peer_certificate_der"


class PeerCertH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, plus the connection's verified client certificate (DER, or None) in scope state."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        self.app_state = {**self.app_state, PEER_CERT: der}


class ClientCertificateCheck:
    """Whether a connection's certificate was issued by the test CA (checked in the app, after OpenSSL did)."""

    def __init__(self, ca_cert: Path) -> None:
        self.ca = x509.load_pem_x509_certificate(ca_cert.read_bytes())

    def accepts(self, der: object) -> bool:
        if not isinstance(der, bytes) or not der:
            return False
        try:
            cert = x509.load_der_x509_certificate(der)
            cert.verify_directly_issued_by(self.ca)
        except (ValueError, TypeError, InvalidSignature):
            return False
        return True


def server_options(pki: TestPki) -> dict[str, Any]:
    """uvicorn settings for the simulator: TLS with the server certificate, client certificates requested."""
    return {
        "ssl_certfile": str(pki.server_cert),
        "ssl_keyfile": str(pki.server_key),
        "ssl_ca_certs": str(pki.ca_cert),
        "ssl_cert_reqs": ssl.CERT_OPTIONAL,
        "http": PeerCertH11Protocol,
    }


@contextlib.contextmanager
def serve_tls(app: Any, pki: TestPki, **config: Any) -> Iterator[str]:
    """`with serve_tls(app, pki) as base_url:` the simulator answers on ``https://127.0.0.1:<port>``."""
    thread = ServerThread(app, **server_options(pki), **config)
    url = thread.start()
    try:
        yield url
    finally:
        thread.stop()
