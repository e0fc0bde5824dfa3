"""The OpenAPI document as tools read it, and the clients standard generators make of it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from switchboard.api.openapi import openapi_json

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PYTHON_PACKAGE = "switchboard_client"


@pytest.fixture(scope="session")
def openapi() -> dict[str, Any]:
    return json.loads(openapi_json())


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, ops in document["paths"].items() for method, op in ops.items()]


@dataclass(frozen=True)
class Generated:
    directory: Path
    output: str  # what the generator printed, stdout and stderr
    returncode: int


@pytest.fixture(scope="session")
def spec_file(openapi: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("openapi") / "openapi.json"
    path.write_text(json.dumps(openapi))
    return path


@pytest.fixture(scope="session")
def python_client(spec_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Generated:
    """openapi-python-client's client, importable as ``switchboard_client``."""
    work = tmp_path_factory.mktemp("python-client")
    config = work / "config.json"
    config.write_text(json.dumps({"package_name_override": PYTHON_PACKAGE, "post_hooks": []}))
    done = subprocess.run([str(VENV_BIN / "openapi-python-client"), "generate", "--path", str(spec_file),
                           "--config", str(config), "--meta", "none", "--output-path", str(work / PYTHON_PACKAGE)],
                          cwd=work, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"})
    return Generated(work / PYTHON_PACKAGE, done.stdout + done.stderr, done.returncode)


@pytest.fixture(scope="session")
def typescript_client(spec_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Generated:
    """openapi-typescript's types (paths, operations, components) in one .d.ts file."""
    binary = ROOT / "node_modules" / ".bin" / "openapi-typescript"
    if not binary.exists() or not shutil.which("node"):
        pytest.fail("openapi-typescript is not installed: `make test` runs npm install (package.json)")
    work = tmp_path_factory.mktemp("typescript-client")
    done = subprocess.run([str(binary), str(spec_file), "--output", str(work / "api.d.ts")], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    return Generated(work, done.stdout + done.stderr, done.returncode)
