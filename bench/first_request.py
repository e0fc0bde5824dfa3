"""The first request of a fresh instance: a new interpreter imports the handler and serves its most common
event once, against ``import boto3`` plus one DynamoDB GetItem in a new interpreter of its own.

The events: GET /sessions for operator_api (an operator opening the inbox), a signed one-message webhook
for webhook_receipt, a one-record batch of the inbound queue (a known sender's text) for
contact_resolution. Both sides run as bench/coldstart.py runs imports (``-S``, the code root, ``shared``
and the layer's packages only; Lambda's environment) and talk to the benchmarks' moto server, which runs
in this process: the figure is the CPU time of the fresh interpreter (moto's work is not in it), the
median of a few runs; wall time is kept beside it. Each run serves a new event (a new message id), so no
run finds the work of another done."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.coldstart import LAYER, ROOT, ensure_layer
from bench.environment import LocalAws
from bench.stats import median, ratio

_numbers = itertools.count(1)
_PROBE = """
import json, sys, time
sys.path[:0] = [{root!r}, {shared!r}, {layer!r}]
event = json.loads(open({event!r}).read())
wall, cpu = time.perf_counter(), time.process_time()
{work}
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
sys.__stdout__.write("\\nFIRST-REQUEST %f %f %s\\n" % (wall, cpu, json.dumps(answer, default=str)[:300]))
"""
_HANDLER = """
import importlib

class Context:
    function_name = {name!r}
    memory_limit_in_mb = {memory}
    aws_request_id = "first-request"
    invoked_function_arn = "arn:aws:lambda:eu-west-1:000000000000:function:" + {name!r}
    function_version = "1"
    log_group_name = "/aws/lambda/" + {name!r}
    def get_remaining_time_in_millis(self):
        return {timeout} * 1000

handler = importlib.import_module("functions.{name}.handler").handler
answer = handler(event, Context())
"""
_REFERENCE = """
import boto3
answer = boto3.client("dynamodb").get_item(TableName=event["table"], Key=event["key"])["Item"]["pk"]
"""
EVENTS = {"operator_api": "GET /sessions", "webhook_receipt": "POST /webhooks/whatsapp, one message",
          "contact_resolution": "one inbound queue record, a known sender's text"}


def _environment(function_name: str) -> dict[str, str]:
    from bench.coldstart import lambda_environment

    env = lambda_environment(function_name)
    # the benchmarks' AWS (moto) and the resources it holds, as the parent process was given them
    env.update({k: v for k, v in os.environ.items() if k.startswith("AWS_ENDPOINT") or k.endswith(
        ("_TABLE_NAME", "_QUEUE_URL", "_BUS_NAME", "_BUCKET_NAME")) or k in (
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "SECRETS_PREFIX", "GRAPH_API_BASE_URL",
        "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_METRICS_DISABLED", "POWERTOOLS_TRACE_DISABLED")})
    env.update({"AWS_REGION": os.environ["AWS_REGION"], "AWS_DEFAULT_REGION": os.environ["AWS_REGION"]})
    return env


def _run(function_name: str, work: str, event: dict[str, Any]) -> tuple[float, float, str]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(event, file)
    try:
        code = _PROBE.format(root=str(ROOT), shared=str(ROOT / "shared"), layer=str(LAYER), event=file.name,
                             work=work)
        done = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, cwd=str(ROOT),
                              env=_environment(function_name), timeout=120, check=False)
    finally:
        os.unlink(file.name)
    line = next((x for x in reversed(done.stdout.splitlines()) if x.startswith("FIRST-REQUEST ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"{function_name}: {(done.stderr.strip().splitlines() or ['no output'])[-1]}")
    wall, cpu, answer = line[len("FIRST-REQUEST "):].split(" ", 2)
    return float(wall), float(cpu), answer


def _sessions_event() -> dict[str, Any]:
    from infra.local.api_server import Gateway

    gateway = Gateway()
    binding = next(b for b in gateway.bindings if b.route.path == "/sessions" and b.route.method == "GET")
    claims = {"sub": "demo-operator", "custom:tenant_id": "demo", "custom:role": "operator"}
    return gateway._event("GET", "/sessions", {}, {"Accept": "application/json"}, b"", binding, {}, claims,
                          "127.0.0.1")


def _webhook_event(env: LocalAws, sender: str) -> dict[str, Any]:
    from bench.resolution import _envelope
    from bench.webhook import api_event
    from switchboard.whatsapp.signature import sign

    body = _envelope(env, {"contacts": [{"profile": {"name": "Customer"}, "wa_id": sender}], "messages": [
        {"from": sender, "id": f"wamid.FIRST{next(_numbers):010d}{int(time.time())}",
         "timestamp": str(int(time.time())), "type": "text", "text": {"body": "Is my order on its way?"}}]})
    raw = json.dumps(body).encode()
    return api_event(raw, {"Content-Type": "application/json",
                           "X-Hub-Signature-256": sign(raw, env.demo.app_secret)})


def _queue_event(env: LocalAws, sender: str) -> dict[str, Any]:
    """A record of the inbound queue, as Lambda's event source mapping hands it over: the webhook of a
    known sender's message is received (in this process), and its queue message taken off the queue."""
    import boto3

    from infra.local.triggers import _record

    event = _webhook_event(env, sender)
    _post_event(event)
    sqs = boto3.client("sqs")
    url = env.created.queue_urls["inbound"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, AttributeNames=["All"],
                                   MessageAttributeNames=["All"]).get("Messages", [])
    if len(messages) != 1:
        raise RuntimeError(f"expected one inbound queue message, found {len(messages)}")
    sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])
    return {"Records": [_record(messages[0], arn, sqs.meta.region_name)]}


def _post_event(event: dict[str, Any]) -> None:
    from infra.declaration import function
    from infra.local.lambdas import LambdaContext, handler_module

    spec = function("webhook_receipt")
    response = handler_module("webhook_receipt").handler(event, LambdaContext(spec.name, spec.memory_mb))
    if response["statusCode"] != 200:
        raise RuntimeError(f"webhook_receipt answered {response['statusCode']}")


def _purge_inbound(env: LocalAws) -> None:
    import boto3

    boto3.client("sqs").purge_queue(QueueUrl=env.created.queue_urls["inbound"])


def measure(env: LocalAws, runs: int = 5) -> dict[str, Any]:
    from bench.resolution import drain, post_messages
    from infra.declaration import function
    from switchboard.storage import keys

    ensure_layer()
    sender = f"4477{next(_numbers):08d}"
    post_messages(env, [sender])  # a known sender with an open session: the inbox has a row to show
    drain(env)
    data_table = os.environ["DATA_TABLE_NAME"]
    reference = {"table": data_table, "key": {k: {"S": v} for k, v in keys.thread("demo", "wa-demo", sender).items()}}
    wall: dict[str, list[float]] = defaultdict(list)
    cpu: dict[str, list[float]] = defaultdict(list)
    answers: dict[str, str] = {}
    for _ in range(runs):
        events = {"operator_api": _sessions_event(), "contact_resolution": _queue_event(env, sender),
                  "webhook_receipt": _webhook_event(env, sender)}
        w, c, answers["reference"] = _run("reference", _REFERENCE, reference)
        wall["reference"].append(w)
        cpu["reference"].append(c)
        for name, event in events.items():
            spec = function(name)
            work = _HANDLER.format(name=name, memory=spec.memory_mb, timeout=spec.timeout_s)
            w, c, answers[name] = _run(name, work, event)
            wall[name].append(w)
            cpu[name].append(c)
        _purge_inbound(env)  # the webhook's message: not processed (its record's twin was)
    base_cpu, base_wall = median(cpu["reference"]), median(wall["reference"])
    functions = {name: {"event": EVENTS[name], "cpu_ms_median": round(median(cpu[name]) * 1000, 1),
                        "ratio": ratio(median(cpu[name]), base_cpu),
                        "wall_ms_median": round(median(wall[name]) * 1000, 1),
                        "wall_ratio": ratio(median(wall[name]), base_wall), "answer": answers[name]}
                 for name in EVENTS}
    slowest = max(functions, key=lambda n: functions[n]["ratio"] or 0)
    return {"runs": runs, "reference_cpu_ms_median": round(base_cpu * 1000, 1),
            "reference_wall_ms_median": round(base_wall * 1000, 1), "functions": functions,
            "first_request_ratio_max": functions[slowest]["ratio"], "slowest": slowest}


if __name__ == "__main__":
    from bench import environment

    local = environment.start()
    try:
        print(json.dumps(measure(local, runs=int(sys.argv[1]) if len(sys.argv) > 1 else 3), indent=1),
              file=sys.__stdout__)
    finally:
        local.stop()
