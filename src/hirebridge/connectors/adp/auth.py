"""ADP credentials and the TLS a call needs: OAuth2 client credentials, and the client certificate ADP issued for
them, presented on the token call and on every API call (mutual TLS).

Sources: developers.adp.com "Making your first API call" / "Certificate and credentials" (the token endpoint
``https://accounts.adp.com/auth/oauth/v2/token``, ``grant_type=client_credentials`` with the client id and secret,
the SSL client certificate and private key on every request to ``https://api.adp.com``; no certificate: 401
"proper client ssl certificate was not presented").

The private key never touches a disk in the clear. ``ssl.SSLContext.load_cert_chain`` reads only files, so the key is
re-encrypted with a one-time random password, written with the certificate to an anonymous in-memory file
(``memfd_create``; where that is missing, a 0600 file in a private 0700 temporary directory, removed at once) and
loaded from there with that password, which exists only in this process's memory for the duration of the call.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import ssl
import tempfile
import threading
from collections.abc import Iterator

import certifi
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from hirebridge.connectors.tokens import fingerprint

MAX_PEM_CHARS = 8192
_CONTEXTS: dict[str, ssl.SSLContext] = {}
_CONTEXTS_LOCK = threading.Lock()
_MAX_CONTEXTS = 64


def parse_certificate(pem: str) -> x509.Certificate:
    """An X.509 certificate in PEM, or ValueError saying what is wrong (never the value)."""
    if "-----BEGIN CERTIFICATE-----" not in pem:
        raise ValueError("must be an X.509 certificate in PEM (-----BEGIN CERTIFICATE-----)")
    try:
        return x509.load_pem_x509_certificate(pem.strip().encode())
    except ValueError:
        raise ValueError("is not a certificate that can be parsed (PEM X.509 expected)") from None


def parse_private_key(pem: str) -> PrivateKeyTypes:
    """An unencrypted private key in PEM, or ValueError saying what is wrong (never the value)."""
    if "PRIVATE KEY-----" not in pem:
        raise ValueError("must be a private key in PEM (-----BEGIN PRIVATE KEY-----)")
    try:
        return serialization.load_pem_private_key(pem.strip().encode(), password=None)
    except TypeError:
        raise ValueError("is encrypted; give the private key without a passphrase") from None
    except (ValueError, UnsupportedAlgorithm):
        raise ValueError("is not a private key that can be parsed (PEM PKCS#8 or PKCS#1 expected)") from None


def _public_der(key: PrivateKeyTypes | x509.Certificate) -> bytes:
    public = key.public_key()
    return public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


class AdpCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    client_id: str = Field(alias="clientId", min_length=1, max_length=200, pattern=r"^[^\s:]+$")
    client_secret: SecretStr = Field(alias="clientSecret", min_length=1, max_length=500)
    certificate_pem: str = Field(alias="certificatePem", min_length=1, max_length=MAX_PEM_CHARS)
    private_key_pem: SecretStr = Field(alias="privateKeyPem", min_length=1, max_length=MAX_PEM_CHARS)

    @field_validator("certificate_pem")
    @classmethod
    def _certificate(cls, value: str) -> str:
        parse_certificate(value)
        return value

    @field_validator("private_key_pem")
    @classmethod
    def _key(cls, value: SecretStr) -> SecretStr:
        parse_private_key(value.get_secret_value())
        return value

    @model_validator(mode="after")
    def _pair(self) -> AdpCredentials:
        certificate = parse_certificate(self.certificate_pem)
        key = parse_private_key(self.private_key_pem.get_secret_value())
        if _public_der(certificate) != _public_der(key):
            raise ValueError(
                "privateKeyPem is not the key of certificatePem; give the key the certificate was issued for"
            )
        return self


def client_tls_context(credentials: AdpCredentials, server_ca_pem: str | None) -> ssl.SSLContext:
    """A verifying TLS context presenting the client certificate; trusting only ``server_ca_pem`` when given (a
    test CA: the simulator, demo mode), else the public CAs. Built once per certificate, key and CA."""
    key_pem = credentials.private_key_pem.get_secret_value()
    cache_key = fingerprint(credentials.certificate_pem, key_pem, server_ca_pem or "")
    with _CONTEXTS_LOCK:
        found = _CONTEXTS.get(cache_key)
    if found is not None:
        return found
    if server_ca_pem:
        context = ssl.create_default_context(cadata=server_ca_pem)
    else:
        context = ssl.create_default_context(cafile=certifi.where())
    password = secrets.token_urlsafe(32).encode()
    encrypted_key = parse_private_key(key_pem).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(password)
    )
    chain = credentials.certificate_pem.strip().encode() + b"\n" + encrypted_key
    with _memory_file(chain) as path:
        context.load_cert_chain(path, password=password)
    with _CONTEXTS_LOCK:
        if len(_CONTEXTS) >= _MAX_CONTEXTS:
            _CONTEXTS.clear()
        _CONTEXTS[cache_key] = context
    return context


@contextlib.contextmanager
def _memory_file(content: bytes) -> Iterator[str]:
    """A path to ``content`` that lives in memory (Linux memfd), else in a private directory removed on exit."""
    memfd_create = getattr(os, "memfd_create", None)
    if memfd_create is not None and os.path.isdir("/proc/self/fd"):
        fd = memfd_create("hirebridge-adp-client", getattr(os, "MFD_CLOEXEC", 0))
        try:
            os.write(fd, content)
            yield f"/proc/self/fd/{fd}"
        finally:
            os.close(fd)
        return
    with tempfile.TemporaryDirectory(prefix="hirebridge-") as directory:  # 0700
        path = os.path.join(directory, "client.pem")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, content)
        finally:
            os.close(fd)
        try:
            yield path
        finally:
            os.unlink(path)
