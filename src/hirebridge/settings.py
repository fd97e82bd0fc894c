"""Service settings, read from environment variables (prefix ``HIREBRIDGE_``, plus ``DATABASE_URL``)."""

from __future__ import annotations

import collections
import functools
import math
import secrets
from pathlib import Path
from typing import Literal

from cryptography.fernet import Fernet
from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HIREBRIDGE_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./hirebridge.db",
        validation_alias=AliasChoices("DATABASE_URL", "HIREBRIDGE_DATABASE_URL"),
        description="SQLAlchemy URL. SQLite file under the working directory unless set.",
    )
    public_url: str | None = Field(
        default=None,
        description="Base URL that candidates' invitation links point at; defaults to the listening address.",
    )
    secret_key: SecretStr | None = Field(
        default=None, description="Signs partner access tokens. Required unless demo mode is on."
    )
    encryption_key: SecretStr | None = Field(
        default=None,
        description="Fernet key(s), comma separated (newest first), that encrypt stored HRIS credentials.",
    )
    demo: bool = Field(default=False, description="Demo mode: local keys are generated, simulators run.")
    data_dir: Path = Field(default=Path(".hirebridge"), description="Where demo keys and files are kept.")
    resume_dir: Path | None = Field(default=None, description="Store resumes as files here instead of in the database.")
    resume_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    max_body_bytes: int = Field(
        default=16 * 1024 * 1024, ge=1024, description="Largest request body accepted (base64 resumes)."
    )
    access_token_ttl_seconds: int = Field(default=3600, ge=60, le=86400)
    push_wait_seconds: float = Field(
        default=10.0, ge=0, le=60, description="How long candidate.pushToHris waits for the HRIS's verdict."
    )
    workers_in_process: int = Field(
        default=8, ge=0, le=64, description="Delivery worker threads inside `hirebridge serve` (0: none)."
    )
    db_pool_size: int | None = Field(
        default=None,
        ge=1,
        le=500,
        description="Database connections each process keeps open (PostgreSQL); default: 16 for a process that serves "
        "the API, plus one per delivery worker thread, plus 2. Requests beyond it wait for a free one.",
    )
    lease_seconds: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="How long a worker holds a job before another may take it over (crash recovery time).",
    )
    retry_backoff_cap_seconds: float = Field(
        default=60.0,
        gt=0,
        le=86400,
        description="Longest backoff between two failed attempts of a push or webhook (a Retry-After may ask longer).",
    )
    allow_private_network: bool | None = Field(
        default=None,
        description="Let connectors and webhooks call loopback and private addresses (default: only in demo mode).",
    )
    auth_failures_per_credential: int = Field(
        default=10,
        ge=1,
        le=100_000,
        description="Failed authentications for one partner client_id or ATS API key prefix within the window before "
        "it is answered 429 (counted across every API process, in the database).",
    )
    auth_failures_per_address: int = Field(
        default=50,
        ge=1,
        le=100_000,
        description="Failed authentications from one source address within the window before it is answered 429.",
    )
    auth_failure_window_seconds: float = Field(
        default=300.0, gt=0, le=86400, description="The window of the two limits above (from the first failure)."
    )
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="text: one human-readable line per record; json: one JSON object per line with time, level, "
        "logger, message and the request id, job, push, organization and HRIS in hand (docs/observability.md).",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        min_length=32,
        description="Bearer token that GET /metrics requires; /metrics answers 404 while it is unset (demo mode "
        "generates one in the data directory).",
    )
    metrics_dir: Path | None = Field(
        default=None,
        description="Directory where every hirebridge process on this machine writes its metrics, so that /metrics "
        "adds up all API and worker processes (Prometheus multiprocess mode). Unset: each process reports its own.",
    )
    readyz_requires_workers: bool = Field(
        default=True, description="Whether GET /readyz also requires a worker process with a recent heartbeat."
    )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def private_network_allowed(self) -> bool:
        """Whether outbound calls may reach non-public addresses (see ``hirebridge.egress``)."""
        return self.demo if self.allow_private_network is None else self.allow_private_network


def _demo_secret(settings: Settings, name: str) -> str:
    """A secret generated once per demo data directory, so restarts keep tokens and ciphertexts valid."""
    path = settings.data_dir / name
    if path.exists():
        return path.read_text().strip()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    if name == "encryption.key":
        value = Fernet.generate_key().decode()
    path.write_text(value)
    path.chmod(0o600)
    return value


class MissingSecretError(RuntimeError):
    """A required secret is not configured or unusable (outside demo mode nothing is generated)."""


MIN_SECRET_BITS = 256
GENERATE_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'  # noqa: S105 - a command


def estimated_entropy_bits(value: str) -> float:
    """A conservative guess of a secret's entropy: its length times the bits per character of the character classes
    it uses, limited by how evenly its characters are spread (a repeated character adds little)."""
    if not value:
        return 0.0
    classes = [
        (26, any(c.islower() and c.isascii() for c in value)),
        (26, any(c.isupper() and c.isascii() for c in value)),
        (10, any(c.isdigit() and c.isascii() for c in value)),
        (2, any(c in "-_" for c in value)),
        (31, any(c.isascii() and not c.isalnum() and c not in "-_" for c in value)),
        (128, any(not c.isascii() for c in value)),
    ]
    pool = sum(size for size, present in classes if present)
    if pool <= 64 and sum(present for _, present in classes[:3]) >= 2:
        pool = 64  # base64url (token_urlsafe) or hex: a random token need not show every class it was drawn from
    counts = collections.Counter(value)
    spread = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())  # Shannon, bits per char
    per_char = math.log2(pool) if spread >= 3.0 else spread  # a random 43-character token spreads ~5 bits
    return max(0.0, len(value) * per_char)


def signing_key(settings: Settings) -> str:
    if settings.secret_key is not None:
        value = settings.secret_key.get_secret_value()
        if estimated_entropy_bits(value) < MIN_SECRET_BITS:
            raise MissingSecretError(
                "HIREBRIDGE_SECRET_KEY is too weak: it needs at least 32 bytes of entropy (e.g. 43 random "
                f"url-safe characters). Generate one with: {GENERATE_SECRET}  (or: hirebridge keys generate)"
            )
        return value
    if settings.demo:
        return _demo_secret(settings, "signing.key")
    raise MissingSecretError("HIREBRIDGE_SECRET_KEY is not set (it signs partner access tokens).")


def encryption_keys(settings: Settings) -> list[str]:
    if settings.encryption_key is not None:
        keys = [k.strip() for k in settings.encryption_key.get_secret_value().split(",") if k.strip()]
        for position, key in enumerate(keys, start=1):
            try:
                Fernet(key.encode())
            except ValueError:
                raise MissingSecretError(
                    f"HIREBRIDGE_ENCRYPTION_KEY: key {position} of {len(keys)} is not a Fernet key (32 bytes, url-safe "
                    "base64). Generate one with: hirebridge keys generate"
                ) from None
        if not keys:
            raise MissingSecretError("HIREBRIDGE_ENCRYPTION_KEY is empty. Generate one with: hirebridge keys generate")
        return keys
    if settings.demo:
        return [_demo_secret(settings, "encryption.key")]
    raise MissingSecretError(
        "HIREBRIDGE_ENCRYPTION_KEY is not set (it encrypts stored HRIS credentials). "
        "Generate one with: hirebridge keys generate"
    )


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
