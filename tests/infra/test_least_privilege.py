"""Each function's role can touch what the declaration says it uses, and nothing else."""

from __future__ import annotations

import pytest

from infra.cdk.events import SCHEDULE_MANAGERS
from infra.declaration import FUNCTIONS, RESOURCES, Function
from tests.infra.stack_view import StackView, referenced_ids

pytestmark = pytest.mark.infra

DYNAMODB_WRITES = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                   "dynamodb:BatchWriteItem", "dynamodb:TransactWriteItems")
# Actions AWS offers no resource-level permission for; suppressed (AwsSolutions-IAM5) with this reason.
ONLY_ON_STAR = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def test_webhook_receipt_can_queue_inbound_events_and_do_nothing_else_with_queues_or_the_bus(
        stack: StackView) -> None:
    inbound = stack.declared_resource("queue:inbound")
    outbound = stack.declared_resource("queue:outbound")
    statements = stack.statements_of("webhook_receipt")

    assert any(s.allows("sqs:SendMessage") and s.on(inbound) for s in statements)
    assert not any(s.allows("sqs:ReceiveMessage") or s.allows("sqs:DeleteMessage") for s in statements)
    assert not any(s.on(outbound) for s in statements)
    assert not any(s.allows("events:PutEvents") for s in statements)


def test_contact_resolution_can_consume_the_inbound_queue(stack: StackView) -> None:
    inbound = stack.declared_resource("queue:inbound")
    statements = stack.statements_of("contact_resolution")

    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"):
        assert any(s.allows(action) and s.on(inbound) for s in statements), action
    assert stack.event_source_queue("contact_resolution") == inbound


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda spec: spec.name)
def test_table_writes_exactly_where_the_function_declares_them(stack: StackView, spec: Function) -> None:
    for table in RESOURCES.tables:
        resource = f"table:{table.name}"
        logical_id = stack.declared_resource(resource)
        writes = [a for s in stack.statements_of(spec.name) if s.on(logical_id)
                  for a in DYNAMODB_WRITES if s.allows(a)]
        assert bool(writes) is (spec.uses.get(resource) in {"write", "readwrite"}), (resource, writes)


@pytest.mark.parametrize("access", ["read", "write", "readwrite"])
def test_each_declared_table_access_grants_exactly_its_actions(access: str) -> None:
    """The grant behind each access level, on a table of its own (no function declares ``read`` today)."""
    import aws_cdk as cdk
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_kms as kms
    from aws_cdk.assertions import Template

    from infra.cdk.bindings import table_binding
    from infra.cdk.data import Tables

    scope = cdk.Stack()
    (spec,) = [t for t in RESOURCES.tables if t.name == "data"]
    table = Tables(scope, "Tables", tables=(spec,), key=kms.Key(scope, "Key")).by_name["data"]
    role = iam.Role(scope, "Grantee", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    table_binding(spec, table).grants[access](role)
    view = StackView(Template.from_stack(scope).to_json())
    statements = view.statements_of_role(scope.get_logical_id(role.node.default_child))

    reads = any(s.allows("dynamodb:Query") for s in statements)
    writes = [a for s in statements for a in DYNAMODB_WRITES if s.allows(a)]
    assert reads is (access != "write")
    assert bool(writes) is (access != "read"), writes


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda spec: spec.name)
def test_function_role_reaches_only_what_the_function_declares(stack: StackView, spec: Function) -> None:
    fn = stack.function(spec.name)
    allowed = set(referenced_ids(fn["LoggingConfig"])) | set(stack.of_type("AWS::KMS::Key"))
    allowed |= {stack.declared_resource(resource) for resource in spec.uses if resource != "secrets"}
    if spec.queue:
        allowed.add(stack.declared_resource(f"queue:{spec.queue.queue}"))
    if any(spec.name in managers for managers in SCHEDULE_MANAGERS.values()):
        allowed |= referenced_ids(stack.environment(spec.name)["SCHEDULER_ROLE_ARN"])
    if spec.events or spec.schedules or spec.scheduler_target:  # its failed asynchronous invocations
        allowed |= referenced_ids(stack.on_failure_destination(spec.name)["DestinationConfig"])

    reached = {lid for s in stack.statements_of(spec.name) for r in s.resources for lid in referenced_ids(r)}
    assert reached <= allowed, f"{spec.name} reaches {sorted(reached - allowed)} it does not declare"
    secrets = [s for s in stack.statements_of(spec.name) if s.allows("secretsmanager:GetSecretValue")]
    assert bool(secrets) is ("secrets" in spec.uses)
    assert all("secret:switchboard/*" in str(r) for s in secrets for r in s.resources)


def test_no_statement_allows_every_resource_except_what_aws_requires(stack: StackView) -> None:
    on_star = [(owner, s.actions) for owner, s in stack.all_statements()
               if s.effect == "Allow" and "*" in s.resources]
    assert on_star, "expected the X-Ray statements of active tracing"
    assert [(owner, actions) for owner, actions in on_star if not set(actions) <= ONLY_ON_STAR] == []


def test_no_statement_allows_every_action_of_a_service(stack: StackView) -> None:
    assert [(owner, a) for owner, s in stack.all_statements() for a in s.actions
            if a == "*" or a.endswith(":*")] == []


def test_operator_api_manages_operators_in_the_one_user_pool_and_nothing_else_does(stack: StackView) -> None:
    from infra.cdk.bindings import USER_POOL_ADMIN_ACTIONS

    pool = stack.declared_resource("userpool")
    assert set(stack.of_type("AWS::Cognito::UserPool")) == {pool}
    grants = {name for name in stack.functions() for s in stack.statements_of(name)
              if any(s.allows(action) for action in USER_POOL_ADMIN_ACTIONS)}
    assert grants == {"operator_api"}
    statements = [s for s in stack.statements_of("operator_api") if s.allows("cognito-idp:AdminCreateUser")]
    assert {lid for s in statements for r in s.resources for lid in referenced_ids(r)} == {pool}
