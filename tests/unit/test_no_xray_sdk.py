"""The layer ships no X-Ray SDK (docs/cold-start-and-cost.md): every declared function's handler imports
without it, as in Lambda (where Powertools' Tracer would load it at once, and fail)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from infra.declaration import FUNCTIONS

ROOT = Path(__file__).resolve().parents[2]


def test_every_handler_imports_in_lambda_without_the_xray_sdk() -> None:
    code = f"""
import sys
sys.modules["aws_xray_sdk"] = None  # not in the layer: importing it fails
sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / "shared")!r}]
failed = []
for name in {sorted(spec.name for spec in FUNCTIONS)!r}:
    try:
        __import__(f"functions.{{name}}.handler")
    except ImportError as exc:
        failed.append(f"{{name}}: {{exc}}")
print(failed)
"""
    env = {"PATH": "/usr/bin:/bin", "AWS_REGION": "eu-west-1", "POWERTOOLS_METRICS_DISABLED": "true",
           "LAMBDA_TASK_ROOT": "/var/task"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120,
                          check=False)

    assert done.stdout.strip().splitlines()[-1:] == ["[]"], done.stdout + done.stderr
