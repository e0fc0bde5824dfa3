"""Cold start: importing each function's handler module in a fresh interpreter, against `import boto3`.

Each run is a new Python process (``-S``: no site-packages) whose path is what Lambda gives the function:
the code root, ``shared``, and a layer-like folder holding only shared/requirements.txt plus boto3 (the
runtime's), installed once into build/bench-layer. The development environment would not do: it holds
libraries the layer does not (moto, pywa, the CDK). The environment is Lambda's, so Powertools behaves as
deployed; only the import is timed (bench/first_request.py times the import and the first event). Runs go round-robin over the modules so
a busy moment hits them all; the figure is the median of the CPU time the importing process used (on a
machine shared with other work, wall time measures the neighbours as much as the import; it is kept
beside it). `python -X importtime` on the slowest handler then
says which packages its import spends its time in."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.stats import median, ratio

ROOT = Path(__file__).resolve().parent.parent
LAYER = ROOT / "build" / "bench-layer"
_PROBE = """
import sys, time, importlib
sys.path[:0] = [{root!r}, {shared!r}, {layer!r}]
wall, cpu = time.perf_counter(), time.process_time()
importlib.import_module({module!r})
print(time.perf_counter() - wall, time.process_time() - cpu)
"""


def lambda_environment(function_name: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "AWS_ENDPOINT"))}
    env.update({
        "AWS_LAMBDA_FUNCTION_NAME": f"switchboard-{function_name}", "LAMBDA_TASK_ROOT": str(ROOT),
        "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_SERVICE_NAME": function_name, "PYTHONDONTWRITEBYTECODE": "",
    })
    return env


def _time_import(module: str, function_name: str, importtime: bool = False) -> tuple[tuple[float, float], str]:
    """((wall seconds, CPU seconds) of the import, the interpreter's stderr)."""
    code = _PROBE.format(root=str(ROOT), shared=str(ROOT / "shared"), layer=str(LAYER), module=module)
    command = [sys.executable, "-S"] + (["-X", "importtime"] if importtime else []) + ["-c", code]
    done = subprocess.run(command, capture_output=True, text=True, env=lambda_environment(function_name),
                          cwd=str(ROOT), timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"importing {module} failed: {done.stderr.strip().splitlines()[-1:]}")
    wall, cpu = done.stdout.strip().splitlines()[-1].split()
    return (float(wall), float(cpu)), done.stderr


def ensure_layer() -> None:
    """build/bench-layer: the layer's requirements and boto3, for this interpreter (reinstalled when
    shared/requirements.txt changes)."""
    requirements = (ROOT / "shared" / "requirements.txt").read_text()
    stamp = LAYER / ".requirements"
    if stamp.exists() and stamp.read_text() == requirements:
        return
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--upgrade", "--target", str(LAYER),
                    "-r", str(ROOT / "shared" / "requirements.txt"), "boto3"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stamp.write_text(requirements)


def heaviest_packages(importtime_log: str, top: int = 8) -> list[dict[str, Any]]:
    """Self time per top-level package (``-X importtime`` lines), the heaviest first."""
    per_package: dict[str, int] = defaultdict(int)
    for line in importtime_log.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = [p.strip() for p in line[len("import time:"):].split("|")]
        if not parts[0].isdigit():
            continue
        package = parts[2].strip().split(".")[0]
        per_package[package] += int(parts[0])
    ranked = sorted(per_package.items(), key=lambda kv: kv[1], reverse=True)[:top]
    return [{"package": name, "self_ms": round(us / 1000, 1)} for name, us in ranked]


def measure(runs: int = 5) -> dict[str, Any]:
    from infra.declaration import FUNCTIONS

    ensure_layer()
    targets = {"boto3": ("boto3", "reference")}
    for spec in FUNCTIONS:
        targets[spec.name] = (f"functions.{spec.name}.handler", spec.name)
    wall: dict[str, list[float]] = defaultdict(list)
    cpu: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, str] = {}
    # two interpreters at a time (two cores): CPU time is what is compared, and it does not count waiting
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [(name, pool.submit(_time_import, module, function_name))
                   for _ in range(runs) for name, (module, function_name) in targets.items()]
        for name, future in futures:
            try:
                (wall_s, cpu_s), _ = future.result()
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                errors[name] = str(exc)
                continue
            wall[name].append(wall_s)
            cpu[name].append(cpu_s)
    boto3_cpu, boto3_wall = median(cpu["boto3"]), median(wall["boto3"])
    handlers: dict[str, dict[str, Any]] = {}
    for name in targets:
        if name == "boto3":
            continue
        if name in errors:
            handlers[name] = {"error": errors[name]}
            continue
        handlers[name] = {"import_ms_median": round(median(cpu[name]) * 1000, 1),
                          "ratio": ratio(median(cpu[name]), boto3_cpu),
                          "wall_ms_median": round(median(wall[name]) * 1000, 1),
                          "wall_ratio": ratio(median(wall[name]), boto3_wall)}
    ratios = [h["ratio"] for h in handlers.values() if h.get("ratio") is not None]
    slowest = max((n for n in handlers if "ratio" in handlers[n]), key=lambda n: handlers[n]["ratio"])
    # where the slowest one's time goes: -X importtime, three runs, the median per package
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs_ = [pool.submit(_time_import, targets[slowest][0], slowest, True) for _ in range(3)]
        boto3_run = pool.submit(_time_import, "boto3", "reference", True)
        logs = [run.result()[1] for run in runs_]
        boto3_log = boto3_run.result()[1]
    boto3_packages = {p["package"] for p in heaviest_packages(boto3_log, top=1000)}
    per_package: dict[str, list[float]] = defaultdict(list)
    for log in logs:
        for entry in heaviest_packages(log, top=1000):
            per_package[entry["package"]].append(entry["self_ms"])
    ranked = sorted(((name, median(v)) for name, v in per_package.items()), key=lambda kv: kv[1], reverse=True)
    packages = [{"package": name, "self_ms": round(ms, 1)} for name, ms in ranked]
    return {
        "runs": runs, "clock": "CPU time of the importing process (wall time beside it)",
        "boto3_import_ms_median": round(boto3_cpu * 1000, 1), "boto3_wall_ms_median": round(boto3_wall * 1000, 1),
        "handlers": handlers, "import_ratio_max": max(ratios) if ratios else None, "slowest": slowest,
        "slowest_heaviest_packages": packages[:8],
        "slowest_beyond_boto3": [p for p in packages if p["package"] not in boto3_packages][:8],
    }
