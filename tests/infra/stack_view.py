"""Reads the synthesized template in the declaration's terms: a function by its declared name, a queue or a
table by its declared name, a route by method and path (on the REST or the HTTP API), the IAM statements a
function's role carries, where its failed events go."""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass
from typing import Any

from infra.declaration import ENVIRONMENT_OF, FUNCTIONS

_REFERENCE = re.compile(r'\{"Ref": "([A-Za-z0-9]+)"\}|\{"Fn::GetAtt": \["([A-Za-z0-9]+)", "[A-Za-z.]+"\]\}')


def referenced_ids(value: Any) -> set[str]:
    """Logical ids a property value refers to (Ref and Fn::GetAtt), pseudo parameters left out."""
    text = json.dumps(value)
    return {ref or att for ref, att in _REFERENCE.findall(text) if not (ref or att).startswith("AWS")}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    resources: tuple[Any, ...]

    def allows(self, action: str) -> bool:
        """True when one of the statement's actions (wildcards included) covers ``action``."""
        return self.effect == "Allow" and any(
            fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in self.actions)

    def on(self, logical_id: str) -> bool:
        return any(logical_id in referenced_ids(resource) for resource in self.resources)


@dataclass(frozen=True)
class RouteInTemplate:
    method: str
    path: str
    authorization: str
    function: str | None


class StackView:
    def __init__(self, template: dict[str, Any]) -> None:
        self.template = template
        self.resources: dict[str, dict[str, Any]] = template["Resources"]

    # -- resources by type -------------------------------------------------------------------------------

    def of_type(self, cfn_type: str) -> dict[str, dict[str, Any]]:
        return {lid: res for lid, res in self.resources.items() if res["Type"] == cfn_type}

    def props(self, logical_id: str) -> dict[str, Any]:
        return self.resources[logical_id].get("Properties", {})

    # -- functions ---------------------------------------------------------------------------------------

    def functions(self) -> dict[str, str]:
        """Declared name -> logical id, recognised by POWERTOOLS_SERVICE_NAME."""
        found = {}
        for lid, res in self.of_type("AWS::Lambda::Function").items():
            variables = res["Properties"].get("Environment", {}).get("Variables", {})
            if "POWERTOOLS_SERVICE_NAME" in variables:
                found[variables["POWERTOOLS_SERVICE_NAME"]] = lid
        return found

    def function(self, name: str) -> dict[str, Any]:
        return self.props(self.functions()[name])

    def aliases(self) -> dict[str, str]:
        """Declared name -> logical id of the function's ``live`` alias, which every trigger invokes."""
        names = {lid: name for name, lid in self.functions().items()}
        found = {}
        for lid, alias in self.of_type("AWS::Lambda::Alias").items():
            (fn,) = referenced_ids(alias["Properties"]["FunctionName"])
            if fn in names and alias["Properties"]["Name"] == "live":
                found[names[fn]] = lid
        return found

    def invoked(self, name: str) -> str:
        """The logical id triggers of ``name`` invoke: its alias."""
        return self.aliases()[name]

    def environment(self, name: str) -> dict[str, Any]:
        return self.function(name).get("Environment", {}).get("Variables", {})

    def role_of(self, name: str) -> str:
        (role,) = referenced_ids(self.function(name)["Role"])
        return role

    def statements_of_role(self, role: str) -> list[Statement]:
        documents = [policy["PolicyDocument"] for policy in self.props(role).get("Policies", [])]
        for policy in self.of_type("AWS::IAM::Policy").values():
            if any(role in referenced_ids(attached) for attached in policy["Properties"].get("Roles", [])):
                documents.append(policy["Properties"]["PolicyDocument"])
        return [Statement(effect=s["Effect"], actions=tuple(as_list(s["Action"])),
                          resources=tuple(as_list(s.get("Resource", []))))
                for document in documents for s in document["Statement"]]

    def statements_of(self, name: str) -> list[Statement]:
        return self.statements_of_role(self.role_of(name))

    def all_statements(self) -> list[tuple[str, Statement]]:
        """(policy owner, statement) for every identity policy in the stack (not key or bucket policies)."""
        found = [(role, statement) for role in self.of_type("AWS::IAM::Role")
                 for statement in self.statements_of_role(role)]
        for lid, policy in self.of_type("AWS::IAM::ManagedPolicy").items():
            for s in policy["Properties"]["PolicyDocument"]["Statement"]:
                found.append((lid, Statement(s["Effect"], tuple(as_list(s["Action"])),
                                             tuple(as_list(s.get("Resource", []))))))
        return found

    # -- declared resources ------------------------------------------------------------------------------

    def declared_resource(self, resource: str) -> str:
        """The logical id of a declared resource (``queue:inbound``, ``table:data``...), found through the
        environment variable the functions that use it receive, or through a queue trigger."""
        variable = ENVIRONMENT_OF[resource]
        for name in self.functions():
            value = self.environment(name).get(variable)
            if value is not None:
                (logical_id,) = referenced_ids(value)
                return logical_id
        if resource.startswith("queue:"):
            for spec in FUNCTIONS:
                if spec.queue is not None and spec.queue.queue == resource.removeprefix("queue:"):
                    return self.event_source_queue(spec.name)
        raise KeyError(f"no function receives {resource} ({variable})")

    def event_source_queue(self, name: str) -> str:
        fn = self.invoked(name)
        for mapping in self.of_type("AWS::Lambda::EventSourceMapping").values():
            if fn in referenced_ids(mapping["Properties"]["FunctionName"]):
                (queue,) = referenced_ids(mapping["Properties"]["EventSourceArn"])
                return queue
        raise KeyError(f"{name} has no event source mapping")

    def dead_letter_queue_of(self, queue: str) -> str:
        (dlq,) = referenced_ids(self.props(queue)["RedrivePolicy"]["deadLetterTargetArn"])
        return dlq

    def alarms_on(self, logical_id: str, metric: str) -> list[dict[str, Any]]:
        return [alarm["Properties"] for alarm in self.of_type("AWS::CloudWatch::Alarm").values()
                if alarm["Properties"].get("MetricName") == metric
                and any(logical_id in referenced_ids(dimension["Value"])
                        for dimension in alarm["Properties"].get("Dimensions", []))]

    def policy_of(self, logical_id: str, cfn_type: str, target_property: str) -> list[dict[str, Any]]:
        """Statements of the resource policies (bucket, queue, topic) attached to ``logical_id``."""
        statements = []
        for policy in self.of_type(cfn_type).values():
            if logical_id in referenced_ids(policy["Properties"][target_property]):
                statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
        return statements

    # -- API ---------------------------------------------------------------------------------------------

    def resource_paths(self) -> dict[str, str]:
        """API Gateway resource logical id -> its full path."""
        resources = self.of_type("AWS::ApiGateway::Resource")

        def path(lid: str) -> str:
            props = resources[lid]["Properties"]
            parents = referenced_ids(props["ParentId"]) & resources.keys()
            prefix = path(next(iter(parents))) if parents else ""
            return f"{prefix}/{props['PathPart']}"

        return {lid: path(lid) for lid in resources}

    def routes(self) -> list[RouteInTemplate]:
        """The REST API's methods that reach a function (CORS preflights apart: see preflights())."""
        return [r for r in self.rest_methods() if r.method != "OPTIONS"]

    def preflights(self) -> dict[str, dict[str, Any]]:
        """Path -> the OPTIONS method's properties."""
        paths = self.resource_paths()
        found = {}
        for method in self.of_type("AWS::ApiGateway::Method").values():
            props = method["Properties"]
            if props["HttpMethod"] == "OPTIONS":
                ids = referenced_ids(props["ResourceId"])
                found[paths[next(iter(ids))] if ids & paths.keys() else "/"] = props
        return found

    def of_v2_api(self, cfn_type: str, protocol: str) -> dict[str, dict[str, Any]]:
        """API Gateway v2 resources (``AWS::ApiGatewayV2::*``) of the APIs of one protocol (HTTP, WEBSOCKET);
        the APIs themselves for ``AWS::ApiGatewayV2::Api``."""
        apis = {lid: api for lid, api in self.of_type("AWS::ApiGatewayV2::Api").items()
                if api["Properties"].get("ProtocolType") == protocol}
        if cfn_type == "AWS::ApiGatewayV2::Api":
            return apis
        return {lid: res for lid, res in self.of_type(cfn_type).items()
                if referenced_ids(res["Properties"].get("ApiId")) & apis.keys()}

    def http_routes(self) -> list[RouteInTemplate]:
        """The routes of the HTTP API (API Gateway v2, protocol HTTP), with the function each reaches."""
        apis = {lid for lid, api in self.of_type("AWS::ApiGatewayV2::Api").items()
                if api["Properties"].get("ProtocolType") == "HTTP"}
        integrations = self.of_type("AWS::ApiGatewayV2::Integration")
        functions = {lid: name for name, lid in self.aliases().items()}
        found = []
        for route in self.of_type("AWS::ApiGatewayV2::Route").values():
            props = route["Properties"]
            if not referenced_ids(props["ApiId"]) & apis:
                continue
            method, path = props["RouteKey"].split(" ", 1)
            integration = referenced_ids(props.get("Target", "")) & integrations.keys()
            uri = integrations[next(iter(integration))]["Properties"]["IntegrationUri"] if integration else ""
            targets = referenced_ids(uri) & functions.keys()
            found.append(RouteInTemplate(method=method, path=path,
                                         authorization=props.get("AuthorizationType", "NONE"),
                                         function=functions[next(iter(targets))] if targets else None))
        return found

    # -- failures ----------------------------------------------------------------------------------------

    def rules_targeting(self, name: str) -> list[dict[str, Any]]:
        """The EventBridge rules whose targets include the function (its alias), with their properties."""
        fn = self.invoked(name)
        return [r["Properties"] for r in self.of_type("AWS::Events::Rule").values()
                if any(fn in referenced_ids(t["Arn"]) for t in r["Properties"]["Targets"])]

    def on_failure_destination(self, name: str) -> dict[str, Any]:
        """The asynchronous invocation config (EventInvokeConfig) of the function's alias (what rules and
        schedules invoke): the function, qualified by the alias's name."""
        fn, alias = self.functions()[name], self.invoked(name)
        (config,) = [c["Properties"] for c in self.of_type("AWS::Lambda::EventInvokeConfig").values()
                     if fn in referenced_ids(c["Properties"]["FunctionName"])
                     and alias in referenced_ids(c["Properties"].get("Qualifier"))]
        return config

    def rest_methods(self) -> list[RouteInTemplate]:
        paths = self.resource_paths()
        functions = {lid: name for name, lid in self.aliases().items()}
        found = []
        for method in self.of_type("AWS::ApiGateway::Method").values():
            props = method["Properties"]
            ids = referenced_ids(props["ResourceId"])
            path = paths[next(iter(ids))] if ids & paths.keys() else "/"
            targets = referenced_ids(props.get("Integration", {}).get("Uri", "")) & functions.keys()
            found.append(RouteInTemplate(method=props["HttpMethod"], path=path,
                                         authorization=props.get("AuthorizationType", "NONE"),
                                         function=functions[next(iter(targets))] if targets else None))
        return found
