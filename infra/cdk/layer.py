"""Builds the shared Lambda layer without Docker: `python -m infra.cdk.layer`.

    build/layer/python/   the wheels of shared/requirements.txt for arm64 / CPython 3.12, plus `switchboard`

pip runs only when the requirements (or the target platform) changed since the last build: a stamp file
holds the sha256 of both. The `switchboard` package is copied again on every build, since it changes all
the time. A file lock keeps two builds (pytest workers, a `make synth` next to a test run) from
interleaving.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "shared" / "requirements.txt"
PACKAGE = ROOT / "shared" / "switchboard"
LAYER_DIR = ROOT / "build" / "layer"
SITE_DIR = LAYER_DIR / "python"
STAMP = ROOT / "build" / "layer.requirements.sha256"
LOCK = ROOT / "build" / "layer.lock"

PIP_TARGET_OPTIONS = (
    "--platform", "manylinux2014_aarch64",
    "--only-binary=:all:",
    "--python-version", "3.12",
    "--implementation", "cp",
)


def requirements_digest() -> str:
    """What the installed wheels depend on: the requirements file and the platform they were picked for."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes())
    digest.update(" ".join(PIP_TARGET_OPTIONS).encode())
    digest.update(" ".join(RUNTIME_PROVIDED).encode())
    return digest.hexdigest()


def is_built() -> bool:
    return (SITE_DIR / "switchboard").is_dir()


@contextmanager
def _exclusive_lock() -> Iterator[None]:
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    with LOCK.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


RUNTIME_PROVIDED = ("boto3", "boto3-*", "botocore", "botocore-*", "s3transfer", "s3transfer-*", "jmespath",
                    "jmespath-*", "dateutil", "python_dateutil-*")


def _install_requirements(digest: str) -> None:
    shutil.rmtree(SITE_DIR, ignore_errors=True)
    SITE_DIR.mkdir(parents=True)
    # --no-compile: the .pyc files pip would write are for this interpreter, not for the Lambda runtime.
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
         *PIP_TARGET_OPTIONS, "--target", str(SITE_DIR), "-r", str(REQUIREMENTS)],
        check=True,
    )
    # The Lambda runtime ships boto3 and botocore; a second botocore pulled in by aws-xray-sdk would
    # shadow the runtime's (layers come first on sys.path) while boto3 stays the runtime's.
    for provided in RUNTIME_PROVIDED:
        for path in SITE_DIR.glob(provided):
            shutil.rmtree(path, ignore_errors=True)
    STAMP.write_text(digest + "\n")


def _copy_package() -> None:
    target = SITE_DIR / "switchboard"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(PACKAGE, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def _build() -> None:
    digest = requirements_digest()
    stamp = STAMP.read_text().strip() if STAMP.exists() else ""
    if stamp != digest or not SITE_DIR.is_dir():
        print("layer: installing shared/requirements.txt for arm64 / cp312", file=sys.stderr)
        _install_requirements(digest)
    else:
        print("layer: requirements unchanged, pip skipped", file=sys.stderr)
    _copy_package()


def build_layer() -> Path:
    """Build (or refresh) build/layer and return it: the directory the stack's LayerVersion packages."""
    with _exclusive_lock():
        _build()
    return LAYER_DIR


def ensure_layer() -> Path:
    """The layer directory, built first if it is missing (synth straight after a fresh clone). An existing
    layer is left alone: another process may be reading it."""
    with _exclusive_lock():
        if not is_built():
            _build()
    return LAYER_DIR


if __name__ == "__main__":
    print(build_layer())
