"""Standard generators turn /openapi.json into complete clients without help: every operation is there,
and neither generator warns about anything."""

from __future__ import annotations

import re

import pytest

from tests.contract.conftest import Generated, operations

pytestmark = pytest.mark.contract


def test_the_python_client_is_generated_without_a_warning(python_client: Generated) -> None:
    assert python_client.returncode == 0, python_client.output
    assert "warning" not in python_client.output.lower(), python_client.output


def test_the_python_client_has_every_operation(python_client: Generated, openapi: dict) -> None:
    modules = [p for p in (python_client.directory / "api").rglob("*.py") if p.name != "__init__.py"]
    assert len(modules) == len(operations(openapi))


def test_the_typescript_client_is_generated_without_a_warning(typescript_client: Generated) -> None:
    assert typescript_client.returncode == 0, typescript_client.output
    assert not re.search(r"warn|⚠", typescript_client.output, re.IGNORECASE), typescript_client.output


def test_the_typescript_client_has_every_operation(typescript_client: Generated, openapi: dict) -> None:
    source = (typescript_client.directory / "api.d.ts").read_text()
    block = source[source.index("export interface operations {"):]
    block = block[:block.index("\n}\n")]
    generated = re.findall(r"^    ([A-Za-z0-9_]+): \{$", block, re.MULTILINE)
    assert sorted(generated) == sorted(op["operationId"] for _, _, op in operations(openapi))
