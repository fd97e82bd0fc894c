"""A HIREBRIDGE_SECRET_KEY with less than 32 bytes of entropy is refused at start, with how to make one."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from hirebridge.settings import Settings, estimated_entropy_bits, signing_key
from tests.operations.support import clean_env, free_port_run, run


@pytest.mark.parametrize(
    "weak",
    [
        "test-signing-key-" + "x" * 32,
        "s" * 64,
        secrets.token_urlsafe(24),  # 24 random bytes
        secrets.token_hex(16),  # 16 random bytes as 32 hex digits
        "changeme",
    ],
)
def test_a_weak_secret_key_stops_serve_before_anything_is_written(tmp_path: Path, weak: str) -> None:
    env = clean_env(HIREBRIDGE_SECRET_KEY=weak, HIREBRIDGE_ENCRYPTION_KEY=Fernet.generate_key().decode())
    result = run(["serve", "--port", str(free_port_run(1))], tmp_path, env)

    assert result.returncode == 2
    assert "HIREBRIDGE_SECRET_KEY is too weak" in result.stderr
    assert "32 bytes of entropy" in result.stderr
    assert 'python -c "import secrets; print(secrets.token_urlsafe(32))"' in result.stderr
    assert weak not in result.stderr + result.stdout
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "strong",
    [secrets.token_urlsafe(32), secrets.token_hex(32), Fernet.generate_key().decode(), secrets.token_urlsafe(64)],
)
def test_generated_keys_pass(strong: str) -> None:
    assert signing_key(Settings(secret_key=strong)) == strong


def test_every_token_urlsafe_32_passes() -> None:
    """The recommended command's output passes whatever characters it happens to draw."""
    assert min(estimated_entropy_bits(secrets.token_urlsafe(32)) for _ in range(2000)) >= 256


def test_demo_mode_generates_a_key_that_passes(tmp_path: Path) -> None:
    settings = Settings(demo=True, data_dir=tmp_path / "data")
    key = signing_key(settings)
    assert estimated_entropy_bits(key) >= 256
    assert signing_key(settings) == key  # kept for restarts
