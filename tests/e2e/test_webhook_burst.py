"""The local runtime takes what Meta sends (issue 14): a burst of concurrent signed webhooks all get an
answer and every message is stored once; Ctrl-C stops it without a traceback."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.support.runtime import ROOT, local_runtime, token
from tests.support.whatsapp import envelope, signed, text_message

pytestmark = pytest.mark.e2e
BURST = 100


@pytest.fixture(scope="module")
def runtime() -> Iterator[str]:
    with local_runtime() as url:
        yield url


def _get(url: str, auth: str) -> dict:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {auth}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def _post_all_at_once(url: str, bodies: list[tuple[bytes, dict[str, str]]]) -> list[int | str]:
    """Each body on its own connection, all released together, as Meta's webhook fleet sends a burst."""
    parts = urlsplit(url)
    answers: list[int | str] = ["no answer"] * len(bodies)
    start = threading.Barrier(len(bodies))

    def post(index: int) -> None:
        raw, headers = bodies[index]
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        try:
            start.wait()
            connection.request("POST", "/webhooks/whatsapp", raw, headers)
            answers[index] = connection.getresponse().status
        except OSError as exc:
            answers[index] = type(exc).__name__
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_a_hundred_concurrent_webhooks_all_get_an_answer_and_are_stored_once(runtime: str) -> None:
    bodies = [signed(envelope([text_message(sender=f"4206015{i:05d}", wamid=f"wamid.BURST{i:03d}",
                                            body=f"burst {i}")])) for i in range(BURST)]

    answers = _post_all_at_once(runtime, bodies)

    assert answers == [200] * BURST
    urllib.request.urlopen(urllib.request.Request(f"{runtime}/_local/idle?timeout=180", method="POST"),
                           timeout=200).read()
    operator = token()
    sessions = _get(f"{runtime}/sessions?limit=100", operator)["items"]
    stored = [m["provider_message_id"] for s in sessions
              for m in _get(f"{runtime}/sessions/{s['session_id']}/messages", operator)["items"]]
    assert sorted(stored) == sorted(f"wamid.BURST{i:03d}" for i in range(BURST))


def test_ctrl_c_stops_the_runtime_without_a_traceback() -> None:
    env = {**os.environ, "PORT": "0", "PYTHONUNBUFFERED": "1"}
    for inherited in ("AWS_ENDPOINT_URL", "GRAPH_API_BASE_URL"):
        env.pop(inherited, None)
    # its own process group, which a terminal's Ctrl-C signals whole (the runtime and its moto child)
    process = subprocess.Popen([sys.executable, "-m", "infra.local"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        lines = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = process.stdout.readline()  # type: ignore[union-attr]
            lines.append(line)
            if "Listening on" in line or (not line and process.poll() is not None):
                break
        os.killpg(process.pid, signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
    output = "".join(lines) + rest
    assert "Traceback" not in output, output
    assert process.returncode == 0
