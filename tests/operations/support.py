"""Running the `hirebridge` command as a user would: a subprocess in a directory of the test's choosing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hirebridge.preflight import _port_is_busy

HIREBRIDGE = str(Path(sys.executable).parent / "hirebridge")


def clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment without hirebridge's settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIREBRIDGE_") and k != "DATABASE_URL"}
    env.update(extra)
    return env


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HIREBRIDGE, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def free_port_run(count: int) -> int:
    """A port such that it and the ``count - 1`` ports after it are free."""
    import random

    rng = random.Random()
    for _ in range(200):
        start = rng.randrange(20_000, 60_000)
        if not any(_port_is_busy("127.0.0.1", p) for p in range(start, start + count)):
            return start
    raise RuntimeError("no run of free ports found")
