"""Webhook POST -> WebSocket frame: how long a customer's WhatsApp message takes to reach an operator's
open WebSocket, through the whole local runtime (webhook_receipt, the inbound FIFO queue,
contact_resolution, the event log, the bus rule, realtime_fanout, the connection management API).

The runtime runs as `make run` runs it (`python -m infra.local`, its own process, moto in another); this
process plays Meta (signed webhooks, one message at a time) and the operator's frontend (a `websockets`
client). Each message is timed from just before its POST to the arrival of its `message.received` frame.
The frames' sequence numbers are checked against `GET /events` (same events, same order)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests
from websockets.sync.client import connect

from infra.local import tokens

ROOT = Path(__file__).resolve().parent.parent
_LISTENING = re.compile(r"Listening on (http://127\.0\.0\.1:\d+)")
APP_SECRET = "demo-app-secret"
PHONE_NUMBER_ID = "106540352242922"
WABA_ID = "102290129340398"


def _envelope(text: str, wamid: str, sender: str) -> bytes:
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID},
             "contacts": [{"profile": {"name": "Bench Customer"}, "wa_id": sender}],
             "messages": [{"from": sender, "id": wamid, "timestamp": str(int(time.time())), "type": "text",
                           "text": {"body": text}}]}
    return json.dumps({"object": "whatsapp_business_account",
                       "entry": [{"id": WABA_ID, "changes": [{"field": "messages", "value": value}]}]}).encode()


def _start_runtime() -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PORT": "0", "PYTHONUNBUFFERED": "1"}
    for inherited in ("AWS_ENDPOINT_URL", "GRAPH_API_BASE_URL"):
        env.pop(inherited, None)
    process = subprocess.Popen([sys.executable, "-m", "infra.local"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()  # type: ignore[union-attr]
        if match := _LISTENING.search(line):
            threading.Thread(target=_keep, args=(process,), daemon=True).start()
            return process, match.group(1)
        if not line and process.poll() is not None:
            break
    process.kill()
    raise RuntimeError("the local runtime did not start")


RUNTIME_LOG: list[str] = []


def _keep(process: subprocess.Popen[str]) -> None:
    """The runtime's output, kept for the error message (and read, so its pipe never fills)."""
    for line in process.stdout:  # type: ignore[union-attr]
        RUNTIME_LOG.append(line.rstrip())


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def measure(messages: int = 500, warmup: int = 10) -> dict[str, Any]:
    process, url = _start_runtime()
    token = tokens.issue("demo")
    arrived: dict[str, float] = {}
    frames: list[dict[str, Any]] = []
    ready = threading.Condition()
    try:
        socket = connect(url.replace("http://", "ws://") + f"/ws?token={token}", open_timeout=10)

        def read() -> None:
            for raw in socket:
                frame = json.loads(raw)
                with ready:
                    frames.append(frame)
                    if frame["type"] == "message.received":
                        arrived[frame["data"]["message"]["text"]] = time.perf_counter()
                    ready.notify_all()

        threading.Thread(target=read, daemon=True).start()
        session = requests.Session()
        latencies: list[float] = []
        first_seq = None
        for n in range(warmup + messages):
            text = f"bench message {n}"
            body = _envelope(text, f"wamid.BENCHRT{n:06d}", sender="420700100200")
            signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
            started = time.perf_counter()
            answer = session.post(f"{url}/webhooks/whatsapp", data=body, timeout=30, headers={
                "Content-Type": "application/json", "X-Hub-Signature-256": signature})
            answer.raise_for_status()
            with ready:
                if not ready.wait_for(lambda: text in arrived, timeout=30):
                    raise RuntimeError(f"no frame for message {n} within 30 s; the runtime said: "
                                       + " | ".join(RUNTIME_LOG[-5:]))
            if n == warmup - 1:
                with ready:
                    first_seq = frames[-1]["seq"]
            if n >= warmup:
                latencies.append((arrived[text] - started) * 1000)
        socket.close()
        pushed = [f["seq"] for f in frames if first_seq is not None and f["seq"] > first_seq]
        listed: list[int] = []
        cursor = None
        while True:
            query = f"cursor={cursor}" if cursor else f"after={first_seq}"
            page = session.get(f"{url}/events?{query}&limit=500", headers={"Authorization": f"Bearer {token}"},
                               timeout=30).json()
            listed += [e["seq"] for e in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        return {"messages": messages, "p50_ms": round(statistics.median(latencies), 1),
                "p99_ms": round(_percentile(latencies, 0.99), 1), "max_ms": round(max(latencies), 1),
                "mean_ms": round(statistics.fmean(latencies), 1),
                "frames_in_order_of_get_events": pushed == listed, "frames": len(pushed)}
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 500), indent=2))
