"""Two instances restored from one SnapStart snapshot share nothing that must be unique: the snapshot is
simulated the way Lambda's Python runtime drives the Snapshot Restore for Python hooks (before-snapshot
hooks in reverse order of registration, after-restore hooks in order), and each restore is a fork of the
snapshotted process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SIMULATION = r"""
import json, os, random, sys
sys.path[:0] = [{root!r}, {shared!r}]
import snapshot_restore_py as hooks

import functions.{function}.handler  # registers the function's hooks, as Lambda's init would

for func, args, kwargs in reversed(hooks.get_before_snapshot()):
    func(*args, **kwargs)
from switchboard import aws, ids
from switchboard.services import services
snapshotted = (id(services()), id(aws.dynamodb()), id(services().channels))
random.random()
in_snapshot = random.getstate()

outputs = []
for _ in range(2):  # two instances restored from the same snapshot
    read, write = os.pipe()
    if os.fork() == 0:
        os.close(read)
        random.setstate(in_snapshot)  # a snapshot's memory, not a fork: Python reseeds random in a forked child
        for func, args, kwargs in hooks.get_after_restore():
            func(*args, **kwargs)
        fresh = (id(services()), id(aws.dynamodb()), id(services().channels))
        report = {{"ids": [ids.new_id() for _ in range(500)], "random": [random.random() for _ in range(5)],
                   "fresh": [a != b for a, b in zip(fresh, snapshotted)],
                   "loaded": sorted(m for m in {modules!r} if m in sys.modules)}}
        os.write(write, json.dumps(report).encode())
        os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.waitpid(-1, 0)
    outputs.append(json.loads(b"".join(chunks)))
print(json.dumps(outputs))
"""

FUNCTIONS = {"operator_api": ["switchboard.api.routes.sessions", "switchboard.api.routes.campaigns"],
             "contact_resolution": ["switchboard.inbound.batch"],
             "webhook_receipt": ["switchboard.api.routes.webhooks", "switchboard.email.receipt"]}


def restore_twice(function: str) -> list[dict]:
    code = SIMULATION.format(root=str(ROOT), shared=str(ROOT / "shared"), function=function,
                             modules=FUNCTIONS[function])
    env = {"PATH": "/usr/bin:/bin", "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1",
           "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "DATA_TABLE_NAME": "data",
           "POWERTOOLS_SERVICE_NAME": function, "POWERTOOLS_METRICS_DISABLED": "true"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module", params=sorted(FUNCTIONS))
def restored(request: pytest.FixtureRequest) -> tuple[str, list[dict]]:
    return request.param, restore_twice(request.param)


def test_two_restored_instances_never_create_the_same_ulid(restored) -> None:
    _, (first, second) = restored

    assert set(first["ids"]).isdisjoint(second["ids"])


def test_two_restored_instances_draw_different_random_numbers(restored) -> None:
    _, (first, second) = restored

    assert first["random"] != second["random"]


def test_a_restored_instance_makes_its_own_clients_and_repositories(restored) -> None:
    _, (first, _) = restored

    assert first["fresh"] == [True, True, True]


def test_the_snapshot_holds_the_function_s_modules_loaded(restored) -> None:
    function, (first, _) = restored

    assert first["loaded"] == sorted(FUNCTIONS[function])
