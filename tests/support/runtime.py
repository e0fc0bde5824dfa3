"""The local runtime as a newcomer starts it (`python -m infra.local`, in its own process), for end-to-end
tests over real HTTP; tokens as `make token` prints them; and calls to it as a frontend (or Meta) makes them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.whatsapp import signed

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


def http(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None,
         timeout_s: float = 60) -> tuple[int, bytes]:
    """One request over real HTTP: its status and body as they came (a 4xx or 5xx is an answer, not an error)."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def api(method: str, url: str, bearer: str | None = None, body: Any = None,
        headers: dict[str, str] | None = None, timeout_s: float = 60) -> tuple[int, Any]:
    """A frontend's call: ``bearer`` as its Authorization, a body other than bytes sent as JSON; the answer's
    status and JSON (None when it has no body)."""
    all_headers = dict(headers or {})
    if bearer:
        all_headers["Authorization"] = f"Bearer {bearer}"
    if body is not None and not isinstance(body, bytes):
        body = json.dumps(body).encode()
        all_headers["Content-Type"] = "application/json"
    status, raw = http(method, url, body, all_headers, timeout_s)
    return status, json.loads(raw) if raw else None


def whatsapp_webhook(url: str, payload: dict[str, Any]) -> int:
    """``payload`` posted to the WhatsApp webhook, signed as Meta signs it: the status it was answered."""
    raw, headers = signed(payload)
    return http("POST", f"{url}/webhooks/whatsapp", raw, headers)[0]


def get(url: str, path: str, bearer: str) -> Any:
    """``GET {path}`` as the token's holder: its JSON, the call having been answered 200."""
    status, body = api("GET", f"{url}{path}", bearer)
    assert status == 200, (path, status, body)
    return body


def idle(url: str, timeout_s: int = 60) -> None:
    """Wait until the runtime has nothing left to do (its queues, bus rules and due schedules drained)."""
    status, body = api("POST", f"{url}/_local/idle?timeout={timeout_s}", timeout_s=timeout_s + 30)
    assert status == 200, body
    assert body["idle"] is True, body
