"""checkov, next to cdk-nag and cfn-lint: on the synthesized template it finds no failed check, and every
check that `.checkov.yaml` skips says why and still fails without the skip (no stale skip hides a fix)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from infra.cdk.layer import ROOT

pytestmark = pytest.mark.infra

CONFIG = ROOT / ".checkov.yaml"
# checkov pins boto3 and packaging below what the dev environment needs, so it has its own virtual
# environment (`make checkov`, which `make test` runs first); CHECKOV names another binary.
CHECKOV = Path(os.environ.get("CHECKOV", ROOT / "build" / "checkov" / "bin" / "checkov"))
_SKIP = re.compile(r"^\s*-\s*(CKV2?_AWS_\d+)\s*#\s*(.+)$")


def _skipped() -> dict[str, str]:
    """Check id -> reason, from the skip-check list of .checkov.yaml (a reason comment on each line)."""
    lines = CONFIG.read_text().split("skip-check:", 1)[1].splitlines()
    return {m.group(1): m.group(2) for line in lines if (m := _SKIP.match(line))}


def _run(template: Path, *options: str) -> dict[str, Any]:
    if not CHECKOV.exists():
        pytest.fail(f"checkov is not installed at {CHECKOV}: run `make checkov` (make test does)")
    # From the template's directory, so only the options given apply (checkov also reads ./.checkov.yaml).
    done = subprocess.run([str(CHECKOV), "-f", template.name, "-o", "json", *options], cwd=template.parent,
                          capture_output=True, text=True, timeout=300, check=False)
    report = json.loads(done.stdout)
    return report[0] if isinstance(report, list) else report


@pytest.fixture(scope="module")
def reports(template_json: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    template = tmp_path_factory.mktemp("checkov") / "Switchboard.template.json"
    template.write_text(json.dumps(template_json))
    return {"configured": _run(template, "--config-file", str(CONFIG)),
            "unskipped": _run(template, "--framework", "cloudformation", "--compact", "--quiet")}


def test_checkov_finds_no_failed_check_but_the_skipped_ones(reports: dict[str, Any]) -> None:
    summary = reports["configured"]["summary"]
    failed = [(c["check_id"], c["resource"]) for c in reports["configured"]["results"]["failed_checks"]]
    assert summary["parsing_errors"] == 0
    assert summary["passed"] > 150
    assert failed == []


def test_every_skipped_check_says_why_and_is_still_needed(reports: dict[str, Any]) -> None:
    skipped = _skipped()
    failing = {c["check_id"] for c in reports["unskipped"]["results"]["failed_checks"]}

    assert skipped
    assert [check for check, reason in skipped.items() if len(reason) < 60] == []
    assert set(skipped) == failing
