"""contact_resolution for issue 20's senders and calls: DynamoDB requests and request units per event for
a BSUID-only customer with a username (first and second message), a BSUID change (system message), a
call's connect and its terminate. Same drain and meter as bench/resolution.py.

Run alone: ``.venv/bin/python -m bench.bsuid_calls`` (prints JSON); figures in docs/bsuid-and-calls.md."""

from __future__ import annotations

import itertools
import json
import sys
import time
from typing import Any

from bench.resolution import _envelope, _meter, _per, _post, drain, post_messages

_numbers = itertools.count(1)


def _bsuid_texts(env: Any, users: list[str]) -> None:
    for start in range(0, len(users), 10):
        chunk = users[start:start + 10]
        _post(env, _envelope(env, {
            "contacts": [{"profile": {"name": f"Customer {u[-4:]}", "username": f"@c{u[-6:]}"}, "user_id": u}
                         for u in chunk],
            "messages": [{"from_user_id": u, "id": f"wamid.BS{next(_numbers):012d}", "timestamp": str(int(time.time())),
                          "type": "text", "text": {"body": "Hi! Where is my order #1234?"}} for u in chunk]}))


def _user_id_changes(env: Any, users: list[str]) -> list[str]:
    new = [f"{u}9" for u in users]
    for start in range(0, len(users), 10):
        _post(env, _envelope(env, {"messages": [{
            "from_user_id": old, "id": f"wamid.BS{next(_numbers):012d}", "timestamp": str(int(time.time())),
            "type": "system", "system": {"type": "user_changed_user_id", "user_id": fresh,
                                         "body": f"User changed from {old} to {fresh}"}}
            for old, fresh in zip(users[start:start + 10], new[start:start + 10], strict=True)]}))
    return new


def _calls(env: Any, callers: list[str], event: str) -> None:
    for start in range(0, len(callers), 10):
        calls = []
        for caller in callers[start:start + 10]:
            call: dict[str, Any] = {"id": f"wacid.{caller}", "from": caller, "to": "15550783881", "event": event,
                                    "timestamp": str(int(time.time())), "direction": "USER_INITIATED"}
            if event == "terminate":
                call.update(status="COMPLETED", duration=60, start_time=str(int(time.time()) - 60),
                            end_time=str(int(time.time())))
            else:
                call["session"] = {"sdp_type": "offer", "sdp": "v=0"}
            calls.append(call)
        body = _envelope(env, {"calls": calls})
        body["entry"][0]["changes"][0]["field"] = "calls"
        _post(env, body)


def measure(env: Any, senders: int = 20) -> dict[str, Any]:
    meter = _meter(env)
    post_messages(env, ["15550000001"])  # warm the function (channel, secret, clients)
    drain(env)
    results: dict[str, Any] = {"senders": senders}

    def metered(label: str, post: Any, n: int) -> None:
        post()
        meter.reset()
        meter.active = True
        drained = drain(env)
        meter.active = False
        if drained.messages != n:
            raise RuntimeError(f"{label}: {drained.messages} of {n} events processed")
        results[label] = _per(meter, n)

    users = [f"US.{next(_numbers):014d}" for _ in range(senders)]
    metered("bsuid_new_contact", lambda: _bsuid_texts(env, users), senders)
    metered("bsuid_known_contact", lambda: _bsuid_texts(env, users), senders)
    metered("bsuid_changed", lambda: _user_id_changes(env, users), senders)
    callers = [f"4479{next(_numbers):08d}" for _ in range(senders)]
    post_messages(env, callers)
    drain(env)
    metered("call_connect", lambda: _calls(env, callers, "connect"), senders)
    metered("call_terminate", lambda: _calls(env, callers, "terminate"), senders)
    return results


if __name__ == "__main__":
    from bench import environment

    local = environment.start()
    try:
        print(json.dumps(measure(local), indent=2), file=sys.__stdout__)
    finally:
        local.stop()
