"""The CDK app (cdk.json: ``python -m infra.cdk.app``): the Switchboard stack under cdk-nag's AwsSolutions
checks. Offline, without Docker and without AWS credentials; builds the shared layer first if it is
missing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import cdk_nag

from infra.cdk.layer import ROOT, ensure_layer
from infra.cdk.stack import STACK_NAME, SwitchboardStack

# Feature flags this stack relies on, on top of cdk.json's context.
FEATURE_FLAGS = {
    # Server access logs are delivered under a bucket policy, not the legacy ACL (which fails on buckets that
    # enforce object ownership).
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
}


def context() -> dict[str, Any]:
    """cdk.json's context plus FEATURE_FLAGS: the same for `cdk synth` and for the tests' in-process synth."""
    settings = json.loads((ROOT / "cdk.json").read_text())
    return {**settings.get("context", {}), **FEATURE_FLAGS}


def build_app(outdir: str | None = None, *, layer_dir: Path | None = None,
              extra_context: dict[str, Any] | None = None) -> tuple[cdk.App, SwitchboardStack]:
    app = cdk.App(outdir=outdir, context={**context(), **(extra_context or {})})
    stack = SwitchboardStack(app, STACK_NAME, layer_dir=layer_dir or ensure_layer())
    cdk.Aspects.of(app).add(cdk_nag.AwsSolutionsChecks(verbose=True))
    return app, stack


def main() -> None:
    app, _ = build_app()
    app.synth()


if __name__ == "__main__":
    main()
