"""The layer builder: pip only when the requirements change, the switchboard package copied every time."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from infra.cdk import layer

pytestmark = pytest.mark.infra


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """A repository in tmp_path and a fake pip that records its calls and installs one marker file."""
    (tmp_path / "shared" / "switchboard").mkdir(parents=True)
    (tmp_path / "shared" / "switchboard" / "__init__.py").write_text("VERSION = 1\n")
    (tmp_path / "shared" / "switchboard" / "__pycache__").mkdir()
    (tmp_path / "shared" / "requirements.txt").write_text("pydantic>=2.9\n")
    for name, value in {
        "REQUIREMENTS": tmp_path / "shared" / "requirements.txt",
        "PACKAGE": tmp_path / "shared" / "switchboard",
        "LAYER_DIR": tmp_path / "build" / "layer",
        "SITE_DIR": tmp_path / "build" / "layer" / "python",
        "STAMP": tmp_path / "build" / "layer.requirements.sha256",
        "LOCK": tmp_path / "build" / "layer.lock",
    }.items():
        monkeypatch.setattr(layer, name, value)
    calls: list[list[str]] = []

    def fake_pip(command: list[str], check: bool) -> subprocess.CompletedProcess:
        calls.append(command)
        target = Path(command[command.index("--target") + 1])
        (target / "pydantic").mkdir(parents=True)
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(layer.subprocess, "run", fake_pip)
    return {"root": tmp_path, "pip": calls}


def test_first_build_installs_arm64_cp312_wheels_and_the_package(workspace: dict) -> None:
    site = layer.build_layer() / "python"

    (command,) = workspace["pip"]
    for option in ("--platform manylinux2014_aarch64", "--only-binary=:all:", "--python-version 3.12",
                   "--implementation cp", f"--target {site}", f"-r {layer.REQUIREMENTS}"):
        assert option in " ".join(command)
    assert (site / "pydantic").is_dir()
    assert (site / "switchboard" / "__init__.py").read_text() == "VERSION = 1\n"
    assert not (site / "switchboard" / "__pycache__").exists()


def test_unchanged_requirements_skip_pip_but_the_package_is_copied_again(workspace: dict) -> None:
    layer.build_layer()
    (workspace["root"] / "shared" / "switchboard" / "__init__.py").write_text("VERSION = 2\n")

    site = layer.build_layer() / "python"

    assert len(workspace["pip"]) == 1
    assert (site / "switchboard" / "__init__.py").read_text() == "VERSION = 2\n"


def test_changed_requirements_run_pip_again(workspace: dict) -> None:
    layer.build_layer()
    (workspace["root"] / "shared" / "requirements.txt").write_text("pydantic>=2.10\n")

    layer.build_layer()

    assert len(workspace["pip"]) == 2


def test_synth_builds_a_missing_layer_and_leaves_an_existing_one_alone(workspace: dict) -> None:
    layer.ensure_layer()
    (workspace["root"] / "shared" / "switchboard" / "__init__.py").write_text("VERSION = 2\n")

    site = layer.ensure_layer() / "python"

    assert len(workspace["pip"]) == 1
    assert (site / "switchboard" / "__init__.py").read_text() == "VERSION = 1\n"
