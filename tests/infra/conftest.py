"""The stack is synthesized once per test session: by the first pytest-xdist worker that asks, under a file
lock, into a directory the workers share; the others read what it wrote. ~10 s instead of once per test."""

from __future__ import annotations

import fcntl
import json
from pathlib import Path
from typing import Any

import pytest

from tests.infra.stack_view import StackView

NAG_RULES = "AwsSolutions-.*"


def _synthesize(outdir: Path) -> dict[str, Any]:
    from aws_cdk.assertions import Annotations, Match

    from infra.cdk.app import build_app

    # The same app `cdk synth` runs (cdk.json's context, cdk-nag's AwsSolutions aspect, the real layer),
    # without copying the 50 MB layer into the output directory.
    app, stack = build_app(str(outdir), extra_context={"aws:cdk:disable-asset-staging": True})
    assembly = app.synth()
    annotations = Annotations.from_stack(stack)

    def messages(found: list[Any]) -> list[str]:
        return [f"{message.id}: {message.entry.data}" for message in found]

    return {
        "template": json.loads(Path(assembly.get_stack_by_name(stack.stack_name).template_full_path)
                               .read_text()),
        "nag_errors": messages(annotations.find_error("*", Match.string_like_regexp(NAG_RULES))),
        "nag_warnings": messages(annotations.find_warning("*", Match.string_like_regexp(NAG_RULES))),
    }


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> dict[str, Any]:
    if worker_id == "master":  # not under xdist
        return _synthesize(tmp_path_factory.mktemp("cdk.out"))
    shared = tmp_path_factory.getbasetemp().parent  # the same for every worker of this session
    result = shared / "switchboard-synth.json"
    with (shared / "switchboard-synth.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.exists():
            result.write_text(json.dumps(_synthesize(shared / "cdk.out")))
    return json.loads(result.read_text())


@pytest.fixture(scope="session")
def template_json(synthesized: dict[str, Any]) -> dict[str, Any]:
    return synthesized["template"]


@pytest.fixture(scope="session")
def template(template_json: dict[str, Any]):  # noqa: ANN201 - aws_cdk.assertions.Template
    from aws_cdk.assertions import Template

    return Template.from_json(template_json)


@pytest.fixture(scope="session")
def stack(template_json: dict[str, Any]) -> StackView:
    return StackView(template_json)
