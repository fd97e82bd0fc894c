"""The push domain announces a finished push without importing the ATS API; every worker process still hears it."""

from __future__ import annotations

import subprocess
import sys

# What `hirebridge worker` and `hirebridge serve` do before their workers claim a job, in a fresh interpreter that
# has imported nothing of the ATS API: afterwards the pushToHRIS webhook must be listening to finished pushes.
_WORKER_START = """
import sys
from hirebridge.delivery.handlers import load_handler_modules
from hirebridge.hris import events
assert "hirebridge.ats.events" not in sys.modules
load_handler_modules()
print(sorted(f"{s.__module__}.{s.__name__}" for s in events._push_finished))
"""


def test_a_worker_process_subscribes_the_pushToHRIS_webhook() -> None:
    answer = subprocess.run([sys.executable, "-c", _WORKER_START], capture_output=True, text=True, timeout=60)
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.strip() == "['hirebridge.ats.events.push_finished']"
