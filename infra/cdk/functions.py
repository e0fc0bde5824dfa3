"""One Lambda per declared function: Python 3.12 on arm64, the shared layer, its own log group and role, the
environment and grants of the resources it declares (and nothing else), and its queue trigger.

Every function is published as a version with an alias, ``live``, and every trigger (API integrations,
queue event sources, rules, schedules) invokes the alias: with SnapStart (declared per function), only a
published version has a snapshot to resume from, and ``$LATEST`` never runs in production."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from cdk_nag import NagPackSuppression
from constructs import Construct

from infra.cdk import nag
from infra.cdk.bindings import Binding
from infra.cdk.layer import ROOT
from infra.cdk.naming import pascal
from infra.cdk.queues import QueuePair
from infra.declaration import (
    APPLICATION_LOG_LEVEL,
    ENVIRONMENT_OF,
    LOG_FORMAT,
    SYSTEM_LOG_LEVEL,
    VISIBILITY_PER_TIMEOUT,
    Function,
)

RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE = lambda_.Architecture.ARM_64
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
METRICS_NAMESPACE = "Switchboard"
LOG_LEVEL = APPLICATION_LOG_LEVEL
ALIAS = "live"

TRACING_WILDCARD = nag.suppression(
    "IAM5", "X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permissions; AWS "
            "requires Resource '*' for active tracing.",
    applies_to=["Resource::*"])
PINNED_RUNTIME = nag.suppression(
    "L1", "Python 3.12 is pinned on purpose: the shared layer's binary wheels (pydantic-core) are built for "
          "cp312 (infra/cdk/layer.py); move the layer and the runtime together.")


def live(fn: lambda_.IFunction) -> lambda_.IFunction:
    """What a trigger of ``fn`` invokes: its ``live`` alias (made by ``Functions`` as the function's child)."""
    alias = fn.node.try_find_child("Live")
    if not isinstance(alias, lambda_.Alias):
        raise ValueError(f"{fn.node.path} has no live alias")
    return alias


def fixed_name(spec: Function, stack_name: str) -> str | None:
    """Scheduler targets get a fixed name: the functions that create their schedules (the target itself
    among them: it schedules its own continuation) need its ARN, and a function cannot refer to its own
    generated one. Every other name is generated."""
    return f"{stack_name}-{spec.name.replace('_', '-')}" if spec.scheduler_target else None


class Functions(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, specs: tuple[Function, ...],
                 bindings: Mapping[str, Binding], queues: Mapping[str, QueuePair],
                 layer: lambda_.ILayerVersion) -> None:
        super().__init__(scope, construct_id)
        self.by_name: dict[str, lambda_.Function] = {}
        self.live: dict[str, lambda_.Alias] = {}
        for spec in specs:
            self.by_name[spec.name] = self._function(spec, bindings, queues, layer)

    def _function(self, spec: Function, bindings: Mapping[str, Binding], queues: Mapping[str, QueuePair],
                  layer: lambda_.ILayerVersion) -> lambda_.Function:
        name = pascal(spec.name)
        log_group = logs.LogGroup(self, f"{name}Logs", retention=LOG_RETENTION,
                                  removal_policy=RemovalPolicy.DESTROY)
        # Our own role instead of the AWS managed AWSLambdaBasicExecutionRole (logs:* on every log group):
        # this function may write to its own log group only.
        role = iam.Role(self, f"{name}Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                        description=f"{spec.name}: its log group and the resources it declares")
        log_group.grant_write(role)

        fn = lambda_.Function(
            self, name,
            function_name=fixed_name(spec, Stack.of(self).stack_name),
            description=spec.description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            code=lambda_.Code.from_asset(str(ROOT / spec.handler_path), exclude=["__pycache__", "*.pyc"]),
            handler="handler.handler",
            layers=[layer],
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_s),
            role=role,
            log_group=log_group,
            # Lambda's START and REPORT lines cost more than our own (infra/declaration.py SYSTEM_LOG_LEVEL)
            logging_format=lambda_.LoggingFormat[LOG_FORMAT],
            application_log_level_v2=lambda_.ApplicationLogLevel[APPLICATION_LOG_LEVEL],
            system_log_level_v2=lambda_.SystemLogLevel[SYSTEM_LOG_LEVEL],
            # The function segment of every invocation, without an SDK in the function (switchboard/tracing.py).
            tracing=lambda_.Tracing.ACTIVE,
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if spec.snapstart else None,
            # A replaced version is deleted with the deployment that replaces it: each cached snapshot is billed.
            current_version_options=lambda_.VersionOptions(removal_policy=RemovalPolicy.DESTROY),
            environment={
                "POWERTOOLS_SERVICE_NAME": spec.name,
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": LOG_LEVEL,
            },
        )
        # CDK makes the function DependsOn its role although Role is a GetAtt already; cfn-lint warns (W3005).
        fn.node.default_child.add_metadata(  # type: ignore[union-attr]
            "cfn-lint", {"config": {"ignore_checks": ["W3005"]}})
        nag.suppress(fn, PINNED_RUNTIME, children=False)
        wildcards = self._grant_declared(fn, spec, bindings)
        # A new version whenever the code or the configuration changes (CDK hashes both), and the alias on it.
        alias = lambda_.Alias(fn, "Live", alias_name=ALIAS, version=fn.current_version,
                              description=f"{spec.name}: what every trigger invokes")
        self.live[spec.name] = alias
        if spec.queue is not None:
            self._add_queue_trigger(alias, spec, queues)
        nag.suppress(role, TRACING_WILDCARD, *wildcards)
        return fn

    @staticmethod
    def _grant_declared(fn: lambda_.Function, spec: Function,
                        bindings: Mapping[str, Binding]) -> list[NagPackSuppression]:
        """The environment variable and the grant of each resource the function uses; returns the IAM5
        findings those grants produce, to be suppressed on its role."""
        wildcards: list[NagPackSuppression] = []
        for resource, access in spec.uses.items():
            binding = bindings.get(resource)
            if binding is None or resource not in ENVIRONMENT_OF:
                raise ValueError(f"{spec.name} uses {resource!r}, which the CDK stack does not provide")
            grant = binding.grants.get(access)
            if grant is None:
                raise ValueError(f"{spec.name} uses {resource!r} with access {access!r}; "
                                 f"supported: {sorted(binding.grants)}")
            grant(fn)
            fn.add_environment(ENVIRONMENT_OF[resource], binding.value)
            wildcards.extend(binding.wildcards)
        return wildcards

    @staticmethod
    def _add_queue_trigger(fn: lambda_.IFunction, spec: Function, queues: Mapping[str, QueuePair]) -> None:
        trigger = spec.queue
        assert trigger is not None
        pair = queues.get(trigger.queue)
        if pair is None:
            raise ValueError(f"{spec.name} is triggered by an undeclared queue {trigger.queue!r}")
        if pair.spec.visibility_timeout_s < VISIBILITY_PER_TIMEOUT * spec.timeout_s:
            # Lambda refuses a mapping below 1x; AWS advises 6x. Fail at synth, not half-way through a deploy.
            raise ValueError(f"queue {pair.spec.name}: visibility timeout {pair.spec.visibility_timeout_s}s "
                             f"is shorter than {VISIBILITY_PER_TIMEOUT} x {spec.name}'s timeout "
                             f"{spec.timeout_s}s")
        window = trigger.max_batching_window_s
        fn.add_event_source(sources.SqsEventSource(
            pair.queue,
            batch_size=trigger.batch_size,
            max_batching_window=Duration.seconds(window) if window else None,
            report_batch_item_failures=True,
            max_concurrency=trigger.max_concurrency,
        ))

