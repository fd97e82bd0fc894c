"""A hirebridge deployment made of real processes, for the fault tests.

One database, one API process (`hirebridge serve --workers 0`: it accepts pushes but delivers nothing) and any
number of `hirebridge worker` processes, which do all the delivering and can be killed with SIGKILL. The test
process talks to them over sockets and reads the database directly to check the outcome.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from hirebridge.runtime import Runtime
from hirebridge.settings import Settings

HIREBRIDGE = str(Path(sys.executable).with_name("hirebridge"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Cluster:
    def __init__(self, database_url: str, workdir: Path, *, lease_seconds: float, push_wait_seconds: float) -> None:
        self.workdir = workdir
        self.env = dict(os.environ)
        for name in ("DATABASE_URL", "HIREBRIDGE_DEMO"):
            self.env.pop(name, None)
        self.env.update(
            {
                "HIREBRIDGE_DATABASE_URL": database_url,
                "HIREBRIDGE_SECRET_KEY": Fernet.generate_key().decode(),  # a weak key is refused
                "HIREBRIDGE_ENCRYPTION_KEY": Fernet.generate_key().decode(),
                "HIREBRIDGE_LEASE_SECONDS": str(lease_seconds),
                "HIREBRIDGE_PUSH_WAIT_SECONDS": str(push_wait_seconds),
                "HIREBRIDGE_LOG_LEVEL": "WARNING",
                "HIREBRIDGE_DATA_DIR": str(workdir / "data"),
                "HIREBRIDGE_ALLOW_PRIVATE_NETWORK": "true",  # the simulators listen on 127.0.0.1
            }
        )
        self.runtime = Runtime.from_settings(
            Settings(
                database_url=database_url,
                secret_key=self.env["HIREBRIDGE_SECRET_KEY"],
                encryption_key=self.env["HIREBRIDGE_ENCRYPTION_KEY"],
                data_dir=workdir / "data",
            )
        )
        self.processes: list[subprocess.Popen[bytes]] = []
        self.api_url = ""

    def _spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.workdir / f"{name}-{len(self.processes)}.log").open("wb")
        process = subprocess.Popen(
            [HIREBRIDGE, *args], cwd=self.workdir, env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
        log.close()
        self.processes.append(process)
        return process

    def start_api(self) -> str:
        port = free_port()
        process = self._spawn("api", "serve", "--port", str(port), "--workers", "0")
        self.api_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the API process exited with {process.returncode}; see {self.workdir}")
            try:
                if httpx.get(f"{self.api_url}/healthz", timeout=1).status_code == 200:
                    return self.api_url
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the API process did not answer /healthz within 60 s")

    def start_worker(self, threads: int) -> subprocess.Popen[bytes]:
        return self._spawn("worker", "worker", "--threads", str(threads))

    def lease_prefix(self, process: subprocess.Popen[bytes]) -> str:
        """What a worker process writes in ``delivery_jobs.lease_owner`` (see delivery.worker.worker_id_prefix)."""
        return f"{socket.gethostname()[:60]}:{process.pid}:"

    def stop_workers(self) -> None:
        workers = [p for p in self.processes if "worker" in p.args]  # type: ignore[operator]
        self._stop(workers)

    def close(self) -> None:
        self._stop(list(self.processes))  # a copy: _stop removes from the list it walks
        self.runtime.close()

    def _stop(self, processes: list[subprocess.Popen[bytes]]) -> None:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
            if process in self.processes:
                self.processes.remove(process)
