"""The stack (with its nested stack's resources merged in, as one view) is synthesized once per test session: by the first pytest-xdist worker that asks, under a file
lock, into a directory the workers share; the others read what it wrote. ~10 s instead of once per test."""

from __future__ import annotations

import fcntl
import re
import json
from pathlib import Path
from typing import Any

import pytest

from tests.infra.stack_view import StackView

NAG_RULES = "AwsSolutions-.*"


def _synthesize(outdir: Path) -> dict[str, Any]:
    from aws_cdk import NestedStack
    from aws_cdk.assertions import Annotations, Match

    from infra.cdk.app import build_app

    # The same app `cdk synth` runs (cdk.json's context, cdk-nag's AwsSolutions aspect, the real layer),
    # without copying the 50 MB layer into the output directory.
    app, stack = build_app(str(outdir), extra_context={"aws:cdk:disable-asset-staging": True})
    assembly = app.synth()
    annotations = Annotations.from_stack(stack)

    def messages(found: list[Any]) -> list[str]:
        return [f"{message.id}: {message.entry.data}" for message in found]

    template = json.loads(Path(assembly.get_stack_by_name(stack.stack_name).template_full_path).read_text())
    nested = [c for c in stack.node.find_all() if isinstance(c, NestedStack)]
    deployed = [json.loads(json.dumps(template))]  # the templates as CloudFormation gets them (cfn-lint)
    for child in nested:
        nested_template = json.loads((outdir / child.template_file).read_text())
        deployed.append(nested_template)
        _merge_nested(template, stack.resolve(child.nested_stack_resource.logical_id), nested_template)
    rules = Match.string_like_regexp(NAG_RULES)
    return {
        "template": template,
        "deployed_templates": deployed,
        "nag_errors": messages(annotations.find_error("*", rules)) + _nested_nag(nested, "aws:cdk:error"),
        "nag_warnings": messages(annotations.find_warning("*", rules)) + _nested_nag(nested, "aws:cdk:warning"),
    }


def _nested_nag(nested: list[Any], level: str) -> list[str]:
    """cdk-nag's findings on the nested stacks' constructs (the assertions' Annotations read only a stack
    artifact, and a nested stack is none): the same ``id: message`` lines, read from the construct tree."""
    found = []
    for child in nested:
        for construct in child.node.find_all():
            for entry in construct.node.metadata:
                if entry.type == level and re.search(NAG_RULES, str(entry.data)):
                    found.append(f"{construct.node.path}: {entry.data}")
    return found


def _merge_nested(template: dict[str, Any], stack_id: str, nested: dict[str, Any]) -> None:
    """A nested stack's resources in the root template, as if declared there: each parameter the root passes
    it (``referencetoSwitchboard...``) replaced by the root's value, so references name the root's resources."""
    text = json.dumps(nested["Resources"])
    for name, value in template["Resources"][stack_id]["Properties"].get("Parameters", {}).items():
        text = text.replace(json.dumps({"Ref": name}), json.dumps(value))
    template["Resources"].update(json.loads(text))


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
