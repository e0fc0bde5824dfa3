"""Campaign send rate: a 10,000-recipient campaign through the whole local runtime, against the Graph API
simulator's limit of 80 messages a second per number.

The runtime (moto as AWS, the API, the queue triggers, the bus rules, the scheduler and the simulator) runs
in this process. The channel, the template and the contacts are written straight to the table (setup is not
what is measured); the campaign is created, given its recipients and started over HTTP as an admin would; the
local scheduler fires its schedule; campaign_dispatch paces the sends; the send worker calls the simulator,
whose signed status webhooks ("sent", then "delivered", once the send window is over) come back through
webhook_receipt and contact_resolution to each recipient.

Returned: the achieved rate as the simulator saw it (accepted sends over the time between its first and last
accepted send) and its ratio to the limit, how often the simulator answered 130429 (throughput reached), how
many recipients got more than one message, every recipient's final state, and the wall time; also how
fast campaign_dispatch itself queued the sends (``dispatch_rate``, from the recipients' ``queued_at``), which
tells the dispatcher's pacing apart from what the rest of the pipeline could carry on this machine."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

import boto3
import requests

FINAL = ("delivered", "read", "failed", "replied", "skipped")
TEMPLATE = {
    "name": "bench_offer", "language": "en", "status": "APPROVED", "category": "MARKETING",
    "parameter_format": "NAMED",
    "components": [{"type": "BODY", "text": "Hi {{customer_name}}, your code is {{code}}.",
                    "example": {"body_text_named_params": [{"param_name": "customer_name", "example": "Ann"},
                                                           {"param_name": "code", "example": "X1"}]}}],
}


def _store_directory(recipients: int) -> list[str]:
    from switchboard.services import services
    from switchboard.storage import keys
    from switchboard.templates.sync import record_of

    table = boto3.resource("dynamodb").Table(services().settings.need("data_table_name"))
    table.put_item(Item={**keys.template("demo", "wa-demo", keys.template_sort_key(TEMPLATE["name"], "en")),
                         **(record_of(TEMPLATE) or {})})
    ids = []
    with table.batch_writer() as batch:
        for number in range(recipients):
            contact_id = f"B{number:07d}"
            batch.put_item(Item={**keys.contact("demo", contact_id), "contact_id": contact_id, "tenant_id": "demo",
                                 "name": f"Customer {number}", "phones": [f"+4207{number:08d}"], "emails": [],
                                 "identities": [], "attributes": {}, "tags": [],
                                 "created_at": "2026-01-01T00:00:00.000Z"})
            ids.append(contact_id)
    return ids


def _dispatch_rate(campaign_id: str) -> float:
    """How fast campaign_dispatch moved recipients to queued (and their sends onto the outbound queue):
    queued recipients over the time between the first and the last one's ``queued_at``."""
    from switchboard import clock
    from switchboard.services import services

    moments = []
    cursor = None
    while True:
        page = services().campaigns.recipients("demo", campaign_id, None, cursor, 1000)
        moments += [clock.parse_iso(r["queued_at"]).timestamp() for r in page.items if r.get("queued_at")]
        cursor = page.cursor
        if cursor is None:
            break
    span = max(moments) - min(moments) if len(moments) > 1 else 0.0
    return round((len(moments) - 1) / span, 2) if span > 0 else 0.0


def measure(recipients: int = 10_000, rate: int = 80, timeout_s: float = 330.0,
            progress: Any = None) -> dict[str, Any]:
    """``timeout_s``: how long to wait for every recipient to reach a final state (`make bench` gives the
    whole measurement 420 s); past it the figures are returned as they stand, ``all_final`` false."""
    import os

    from infra.local import tokens
    from infra.local.runtime import LocalRuntime

    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")

    log: list[str] = []
    runtime = LocalRuntime(port=0, log=log.append).start()
    try:
        # Meta's receipts ("sent", then "delivered": a final state) come once the send window is over, so the
        # figure is the send path's rate; they then flow back through webhook_receipt and contact_resolution.
        # Statuses due together share a webhook POST, up to 100 (Meta aggregates up to 1,000 per POST).
        settle_s = recipients / rate + 10
        runtime.graph.configure(throughput_mps=rate, callback_delays_s=[settle_s, settle_s + 1],
                                callback_batch=100)
        ids = _store_directory(recipients)
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {tokens.issue('demo', 'admin')}"
        response = http.post(f"{runtime.url}/campaigns", json={
            "name": "Benchmark", "channel_id": "wa-demo", "template": {"name": TEMPLATE["name"], "language": "en"},
            "parameters": {"body": {"customer_name": {"from": "contact.name"}, "code": {"value": "BENCH"}}},
            "rate": rate}, timeout=30)
        response.raise_for_status()
        campaign_id = response.json()["campaign_id"]
        for start in range(0, len(ids), 1000):
            http.post(f"{runtime.url}/campaigns/{campaign_id}/recipients",
                      json={"contact_ids": ids[start:start + 1000]}, timeout=60).raise_for_status()
        started = time.monotonic()
        http.post(f"{runtime.url}/campaigns/{campaign_id}/start", timeout=30).raise_for_status()
        counts: dict[str, int] = {}
        deadline = started + timeout_s
        # Watch the simulator while sending and posting receipts, and the queues while the receipts are
        # processed (counting recipients reads all of them: only at the end).
        last: tuple[int, ...] = ()
        last_change = time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - last_change < 60:
            time.sleep(2.0)
            done = len(runtime.graph.sent)
            depths = runtime.queue_depths()
            moved = (done, runtime.graph.callbacks.delivered, depths["inbound"]["visible"],
                     depths["outbound"]["visible"])
            if progress:
                progress(f"{time.monotonic() - started:6.1f}s simulator accepted {done} sends, "
                         f"{runtime.graph.callbacks.pending()} receipts to post, queues {depths}")
            if moved != last:
                last, last_change = moved, time.monotonic()
            if done >= recipients and runtime.graph.callbacks.pending() == 0 and runtime.wait_idle(1.0):
                break
        while not counts:  # at least once, however long the sending took
            answer = http.get(f"{runtime.url}/campaigns/{campaign_id}", timeout=120)
            if answer.status_code != 200:  # a busy machine: the count may time out; ask again
                if time.monotonic() > deadline + 120:
                    break
                time.sleep(5.0)
                continue
            counts = answer.json()["counts"]
            if progress:
                progress(f"{time.monotonic() - started:6.1f}s {({k: v for k, v in counts.items() if v})}")
            if sum(counts[state] for state in FINAL) == recipients or time.monotonic() > deadline:
                break
            counts = {}
            time.sleep(5.0)
        seconds = time.monotonic() - started
        try:
            dispatch_rate: float | None = _dispatch_rate(campaign_id)
        except Exception:  # noqa: BLE001 - a busy machine's timeout must not lose the other figures
            dispatch_rate = None
        sent = sorted(runtime.graph.sent, key=lambda s: s.at)
        per_recipient = Counter(s.to for s in sent)
        window = sent[-1].at - sent[0].at if len(sent) > 1 else 0.0
        achieved = (len(sent) - 1) / window if window > 0 else 0.0
        return {
            "recipients": recipients, "limit": rate, "sent": len(sent),
            "achieved_rate": round(achieved, 2), "rate_ratio": round(achieved / rate, 3),
            "dispatch_rate": dispatch_rate,
            "throttled": int(runtime.graph.rejected.get(130429, 0)),
            "duplicates": sum(1 for n in per_recipient.values() if n > 1),
            "final_states": {state: n for state, n in counts.items() if n},
            "all_final": sum(counts.get(state, 0) for state in FINAL) == recipients,
            "seconds": round(seconds, 1), "runtime_errors": len(log), "last_runtime_errors": log[-3:],
        }
    finally:
        runtime.stop()


if __name__ == "__main__":
    import sys

    result = measure(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000,
                     timeout_s=float(sys.argv[2]) if len(sys.argv) > 2 else 330.0,
                     progress=lambda line: print(line, file=sys.stderr, flush=True))
    print(json.dumps(result, indent=2))
