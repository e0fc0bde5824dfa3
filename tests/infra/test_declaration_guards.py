"""The stack follows the declaration: it refuses one it could only deploy wrong (failing at synth, with the
reason), and picks up what the declaration adds."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from infra.declaration import ENVIRONMENT_OF, FUNCTIONS, RESOURCES, Function, Resources, Route, function

pytestmark = pytest.mark.infra


def _build(tmp_path: Path, functions: tuple[Function, ...] = FUNCTIONS,
           resources: Resources = RESOURCES) -> None:
    import aws_cdk as cdk

    from infra.cdk.app import context
    from infra.cdk.stack import SwitchboardStack

    stub_layer = tmp_path / "layer"
    (stub_layer / "python").mkdir(parents=True, exist_ok=True)
    SwitchboardStack(cdk.App(context=context()), layer_dir=stub_layer, functions=functions,
                     resources=resources)


def _replace(name: str, **changes: object) -> tuple[Function, ...]:
    return tuple(dataclasses.replace(spec, **changes) if spec.name == name else spec for spec in FUNCTIONS)


def test_an_open_route_needs_a_stated_reason(tmp_path: Path) -> None:
    routes = (*function("operator_api").routes, Route("GET", "/reports/open-by-mistake", auth=False))
    with pytest.raises(ValueError, match="GET /reports/open-by-mistake is declared auth=False"):
        _build(tmp_path, functions=_replace("operator_api", routes=routes))


def test_a_route_declared_by_two_functions_is_refused(tmp_path: Path) -> None:
    taken = function("operator_api").routes[0]
    routes = (*function("session_reopen").routes, taken)
    with pytest.raises(ValueError, match=f"{taken.method} {taken.path} is declared by two functions"):
        _build(tmp_path, functions=_replace("session_reopen", routes=routes))


def test_an_access_level_the_resource_does_not_have_is_refused(tmp_path: Path) -> None:
    uses = {**function("webhook_receipt").uses, "queue:inbound": "put"}
    with pytest.raises(ValueError, match="webhook_receipt uses 'queue:inbound' with access 'put'"):
        _build(tmp_path, functions=_replace("webhook_receipt", uses=uses))


def test_a_queue_must_stay_invisible_six_times_longer_than_its_consumer_runs(tmp_path: Path) -> None:
    """contact_resolution runs up to 60 s: 90 s was enough for Lambda, not for AWS's advice of 6x."""
    queues = tuple(dataclasses.replace(q, visibility_timeout_s=90) if q.name == "inbound" else q
                   for q in RESOURCES.queues)
    with pytest.raises(ValueError, match="visibility timeout 90s is shorter than 6 x contact_resolution's"):
        _build(tmp_path, resources=dataclasses.replace(RESOURCES, queues=queues))


def test_a_function_declaring_ses_gets_the_configuration_set_and_may_send(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The binding waiting for the declaration to map ``ses`` (SES_CONFIGURATION_SET) in ENVIRONMENT_OF."""
    import aws_cdk as cdk
    from aws_cdk.assertions import Template

    from infra.cdk import functions as cdk_functions
    from infra.cdk.app import context
    from infra.cdk.stack import SwitchboardStack
    from tests.infra.stack_view import StackView, referenced_ids

    monkeypatch.setattr(cdk_functions, "ENVIRONMENT_OF", {**ENVIRONMENT_OF, "ses": "SES_CONFIGURATION_SET"})
    uses = {**function("message_send").uses, "ses": "send"}
    (tmp_path / "layer" / "python").mkdir(parents=True)
    stack = SwitchboardStack(cdk.App(context=context()), layer_dir=tmp_path / "layer",
                             functions=_replace("message_send", uses=uses))
    view = StackView(Template.from_stack(stack).to_json())

    (configuration_set,) = view.of_type("AWS::SES::ConfigurationSet")
    assert referenced_ids(view.environment("message_send")["SES_CONFIGURATION_SET"]) == {configuration_set}
    assert any(s.allows("ses:SendEmail") for s in view.statements_of("message_send"))
    assert not any(s.allows("ses:SendEmail") for s in view.statements_of("operator_api"))
