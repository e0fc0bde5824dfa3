"""moto is pinned to one exact version, and infra/local/moto_speedups.py's patches are checked against it:
each patch replaces or wraps a moto function and relies on what that function does (what it reads, which
module-level ``copy`` it calls, which attribute it keeps its messages in). A moto release that changes one of
them fails here, naming the function, before a patch silently changes moto's answers or stops helping.

When it fails after a deliberate upgrade: read the named functions' new source, adapt the patch in
moto_speedups.py (tests/integration/test_moto_speedups.py checks the answers), then record the new digests
and the new pin together."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PINNED = "5.2.5"

# (module, qualified name) of every moto function a patch replaces, wraps or relies on -> the first 16 hex
# digits of the SHA-256 of its source at the pinned version.
EXPECTED = {
    "moto.dynamodb.models:DynamoDBBackend.transact_write_items": "81db2cb7d94e39c9",
    "moto.dynamodb.models:DynamoDBBackend.update_item": "218984588dd689a5",
    "moto.dynamodb.models.table:Table.query": "002b4d00be6df07c",
    "moto.dynamodb.models.table:Table.all_items": "c80d2ee3c896acd0",
    "moto.dynamodb.models.table:Table.get_item": "b08e98fe37b7e583",
    "moto.dynamodb.responses:DynamoResult.execute_result": "6333faa349b58671",
    "moto.dynamodb.parsing.expressions:UpdateExpressionParser.make": "2c00ed96d6e191f2",
    "moto.dynamodb.parsing.validators:Validator.__init__": "9489b532dd0fb359",
    "moto.dynamodb.comparisons:ConditionExpressionParser._lex_condition_expression": "a815288359216b2e",
    "moto.sqs.models:Queue.messages": "03a531dbcbcf9aee",
    "moto.sqs.models:Queue.approximate_number_of_messages": "d357a9506a56d2f8",
    "moto.sqs.models:Queue.approximate_number_of_messages_not_visible": "5dbecc4dda174358",
    "moto.sqs.models:Queue.approximate_number_of_messages_delayed": "c3c1dadb0c42ed5f",
    "moto.sqs.models:Queue.add_message": "f27c9231c1f20433",
    "moto.sqs.models:Queue.delete_message": "fa6fd5b9bd2cafb4",
    "moto.sqs.models:Message.mark_received": "98e7ec115c7fcb9f",
    "moto.sqs.models:SQSBackend.is_message_valid_based_on_retention_period": "cca23b94a5f3af9d"
}

_DIGESTS = """
import hashlib, importlib, inspect, json, sys
def source(module, path):
    value = importlib.import_module(module)
    for part in path.split("."):
        value = inspect.getattr_static(value, part) if inspect.isclass(value) else getattr(value, part)
    if isinstance(value, property):
        value = value.fget
    if isinstance(value, classmethod | staticmethod):
        value = value.__func__
    return inspect.getsource(value)
found = {}
for name in json.loads(sys.argv[1]):
    module, path = name.split(":")
    try:
        found[name] = hashlib.sha256(source(module, path).encode()).hexdigest()[:16]
    except (ImportError, AttributeError) as exc:
        found[name] = f"missing: {exc}"
print(json.dumps(found))
"""


def _unpatched_digests() -> dict[str, str]:
    """Computed in a fresh interpreter: this one may have applied the patches already."""
    done = subprocess.run([sys.executable, "-c", _DIGESTS, json.dumps(sorted(EXPECTED))], capture_output=True,
                          text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout)


def test_pyproject_pins_moto_to_one_exact_version() -> None:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    specs = [d for group in dependencies.values() for d in group if re.match(r"moto\b", d)]
    assert specs == [f"moto[server]=={PINNED}"]


def test_the_installed_moto_is_the_pinned_one() -> None:
    assert metadata.version("moto") == PINNED


def test_every_moto_function_the_speedups_patch_is_as_they_expect() -> None:
    changed = {name: digest for name, digest in _unpatched_digests().items() if EXPECTED[name] != digest}
    assert changed == {}


def test_the_speedups_patch_only_functions_listed_here() -> None:
    """A new patch must add what it patches to EXPECTED: every ``Class.attr = `` assignment to a moto
    class in moto_speedups.py names a function listed above."""
    source = (ROOT / "infra" / "local" / "moto_speedups.py").read_text()
    assigned = set(re.findall(r"^    ([A-Z]\w+\.\w+) = ", source, flags=re.MULTILINE))
    listed = {name.split(":")[1] for name in EXPECTED}
    assert assigned - listed == set()
