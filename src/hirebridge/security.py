"""Secrets: generation, digests for stored credentials, and encryption of third-party credentials.

Our own credentials (partner client secrets, API keys) are 256-bit random strings, so a SHA-256 digest is a
safe way to store them and fast to check. Third-party credentials (HRIS tokens, webhook secrets) must be
recoverable, so they are encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under a key from the environment;
``MultiFernet`` lets the key be rotated: new key first, old keys after.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def digests_match(candidate: str, stored_digest: str) -> bool:
    return hmac.compare_digest(sha256_hex(candidate), stored_digest)


class DecryptionError(RuntimeError):
    """Stored ciphertext cannot be read with the configured keys (wrong or rotated-out key)."""


class Cipher:
    def __init__(self, keys: list[str]):
        if not keys:
            raise ValueError("at least one encryption key is required")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    def encrypt_json(self, value: Any) -> str:
        return self._fernet.encrypt(json.dumps(value, separators=(",", ":")).encode()).decode()

    def decrypt_json(self, token: str) -> Any:
        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken as exc:
            raise DecryptionError("stored credentials cannot be decrypted with the configured keys") from exc

    def rotate(self, token: str) -> str:
        """The same value encrypted with the first (newest) key; raises DecryptionError if no listed key reads it."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken as exc:
            raise DecryptionError("stored value cannot be decrypted with the configured keys") from exc

    def encrypt_str(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt_str(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise DecryptionError("stored secret cannot be decrypted with the configured keys") from exc


def generate_encryption_key() -> str:
    return Fernet.generate_key().decode()
