"""The local runtime as a newcomer starts it (`python -m infra.local`, in its own process), for end-to-end
tests over real HTTP; and tokens as `make token` prints them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_LISTENING = re.compile(r"Listening on (http://127\.0\.0\.1:\d+)")


@contextmanager
def local_runtime(extra_env: dict[str, str] | None = None, start_within_s: float = 90) -> Iterator[str]:
    """Start the runtime on a free port and yield its URL; stop it (for sure) afterwards."""
    env = {**os.environ, "PORT": "0", "PYTHONUNBUFFERED": "1"}
    for inherited in ("AWS_ENDPOINT_URL", "GRAPH_API_BASE_URL"):
        env.pop(inherited, None)
    env.update(extra_env or {})
    process = subprocess.Popen([sys.executable, "-m", "infra.local"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url, lines = None, []
        deadline = time.monotonic() + start_within_s
        while url is None and time.monotonic() < deadline:
            line = process.stdout.readline()  # type: ignore[union-attr]
            lines.append(line)
            if match := _LISTENING.search(line):
                url = match.group(1)
            elif not line and process.poll() is not None:
                break
        assert url, "the runtime did not start:\n" + "".join(lines)
        # Keep reading its output: a full pipe would block the runtime's logging (and its shutdown).
        threading.Thread(target=process.stdout.read, daemon=True).start()  # type: ignore[union-attr]
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a loaded machine: stop what we started, for sure
            process.kill()
            process.wait(timeout=30)


def token(*args: str) -> str:
    """The last line `make token` prints (args: --role admin, --tenant acme, ...)."""
    output = subprocess.run([sys.executable, "-m", "infra.local.token", *args], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    return output.strip().splitlines()[-1]
