"""The layers of shared/switchboard (docs/architecture.md), held by reading every module's source with
``ast``: who may import whom, and who may speak DynamoDB (boto3, botocore, expression strings)."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "shared" / "switchboard"

# Top to bottom. A module may import its own layer and any layer below it, never one above.
LAYERS: dict[str, int] = {
    "api": 4,
    # the areas: each owns the rules of one part of the product and calls storage and clients
    "campaigns": 3, "contacts": 3, "email": 3, "inbound": 3, "outbound": 3, "sessions": 3, "templates": 3,
    "whatsapp": 3, "team": 3, "channels": 3, "realtime": 3, "sla": 3, "services": 3,
    "pricing": 3, "reports": 3,
    # storage and clients: the only I/O; storage turns the areas' intents into items and transactions
    "storage": 2, "clients": 2, "aws": 2,
    # the pure rules and the primitives every layer uses
    "domain": 1, "clock": 0, "ids": 0, "errors": 0, "config": 0, "observability": 0, "tracing": 0, "snapstart": 0,
}
# The modules that may import boto3/botocore and spell DynamoDB expressions.
SPEAKS_AWS = {"storage", "clients", "aws"}

_EXPRESSION = re.compile(
    r"\b(attribute_not_exists|attribute_exists|attribute_type|if_not_exists|list_append|begins_with|contains)"
    r"\s*\(|^\s*(SET|REMOVE|ADD|DELETE)\s+[#\w]|[#:]?\w+\s*(=|<>|<=|>=|<|>)\s*[#:]\w+|\bBETWEEN\s+:\w+")


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _name(path: Path) -> str:
    return ".".join(("switchboard", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")


def _top(module: str) -> str | None:
    """The first part under ``switchboard`` (``switchboard.storage.keys`` -> ``storage``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "switchboard" else None


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports (TYPE_CHECKING and function-level imports included)."""
    found = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
    return found


def _docstrings(tree: ast.Module) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def upward_imports() -> list[str]:
    wrong = []
    for path in _modules():
        own = _top(_name(path))
        if own is None or own not in LAYERS:
            continue
        for line, module in _imports(path):
            other = _top(module)
            if other is None or other not in LAYERS or other == own:
                continue
            if LAYERS[other] > LAYERS[own]:
                wrong.append(f"{path.relative_to(PACKAGE)}:{line} ({own}) imports {module} ({other})")
    return sorted(set(wrong))


def aws_outside_storage() -> list[str]:
    wrong = []
    for path in _modules():
        if _top(_name(path)) in SPEAKS_AWS:
            continue
        for line, module in _imports(path):
            if module.split(".")[0] in ("boto3", "botocore"):
                wrong.append(f"{path.relative_to(PACKAGE)}:{line} imports {module}")
    return sorted(set(wrong))


def expressions_outside_storage() -> list[str]:
    wrong = []
    for path in _modules():
        if _top(_name(path)) in SPEAKS_AWS:
            continue
        tree = _tree(path)
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                    and _EXPRESSION.search(node.value)):
                wrong.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.value[:60]!r}")
    return sorted(set(wrong))


def test_no_module_imports_a_layer_above_its_own() -> None:
    assert upward_imports() == []


def test_only_storage_and_clients_import_boto3_or_botocore() -> None:
    assert aws_outside_storage() == []


def test_only_storage_writes_dynamodb_expressions() -> None:
    assert expressions_outside_storage() == []


def test_every_package_of_switchboard_has_a_layer() -> None:
    tops = {_top(_name(p)) for p in _modules()} - {None}
    assert tops - set(LAYERS) == set()


@pytest.mark.parametrize("source, expected", [
    ("x = 'attribute_not_exists(pk)'", 1), ("x = 'SET #s = :s'", 1), ("x = '#status <> :resolved'", 1),
    ("x = 'pk = :pk AND begins_with(sk, :m)'", 1), ("x = 'claim_token = :t'", 1),
    ("x = 'Set the name'", 0), ("x = 'time: 10:30'", 0), ("x = 'a=b'", 0),
    ("import botocore.exceptions", 0),
])
def test_the_expression_detector_sees_expressions_and_not_prose(source: str, expected: int) -> None:
    strings = [n.value for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Constant)
               and isinstance(n.value, str)]
    assert sum(1 for s in strings if _EXPRESSION.search(s)) == expected


def test_the_import_walker_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from botocore.exceptions import ClientError\n")
    assert (2, "botocore.exceptions") in _imports(module)


def test_only_storage_spells_keys() -> None:
    wrong = [f"{p.relative_to(PACKAGE)}:{line}" for p in _modules() if _top(_name(p)) != "storage"
             for line, module in _imports(p) if module in ("switchboard.storage.keys",)]
    assert wrong == []
