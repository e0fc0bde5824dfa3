"""The Switchboard stack: every construct built from infra/declaration.py. Environment-agnostic (no
account, no region, no lookups), so it synthesizes offline and without credentials."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import CfnOutput, NestedStack, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.cdk.api import Api
from infra.cdk.auth import OperatorAuth
from infra.cdk.bindings import bindings
from infra.cdk.data import Data
from infra.cdk.email import Email
from infra.cdk.encryption import Encryption, encrypt_log_groups
from infra.cdk.events import Triggers
from infra.cdk.functions import ARCHITECTURE, RUNTIME, Functions
from infra.cdk.http_api import HttpApi
from infra.cdk.monitoring import Monitoring
from infra.cdk.queues import Queues
from infra.cdk.realtime import Realtime
from infra.cdk.waf import CONTEXT_FLAG, OperatorWebAcl, enabled
from infra.declaration import FUNCTIONS, RESOURCES, Function, Resources, cors_origins

STACK_NAME = "Switchboard"


class SwitchboardStack(Stack):
    def __init__(self, scope: Construct, construct_id: str = STACK_NAME, *, layer_dir: Path,
                 resources: Resources = RESOURCES, functions: tuple[Function, ...] = FUNCTIONS,
                 **kwargs: object) -> None:
        super().__init__(scope, construct_id,
                         description="Switchboard: conversations over WhatsApp and email", **kwargs)
        key = Encryption(self, "Encryption").key
        data = Data(self, "Data", resources=resources, key=key)
        queues = Queues(self, "Queues", queues=resources.queues, key=key).by_name
        bus = events.EventBus(self, "Bus", event_bus_name=resources.bus)
        auth = OperatorAuth(self, "Auth")
        email = Email(self, "Email", specs=functions)
        layer = lambda_.LayerVersion(
            self, "SharedLayer",
            code=lambda_.Code.from_asset(str(layer_dir)),
            compatible_architectures=[ARCHITECTURE],
            compatible_runtimes=[RUNTIME, lambda_.Runtime.PYTHON_3_13],
            description="The switchboard package and its dependencies (shared/)",
        )
        realtime = Realtime(self, "Realtime", user_pool=auth.user_pool, client=auth.client)
        provided = bindings(self, resources=resources, tables=data.tables, queues=queues, bus=bus,
                            media=data.media, configuration_set=email.configuration_set, user_pool=auth.user_pool)
        provided["websocket"] = realtime.binding
        fns = Functions(self, "Functions", specs=functions, queues=queues, layer=layer, bindings=provided).by_name
        realtime.serve(functions, fns)
        triggers = Triggers(self, "Triggers", specs=functions, functions=fns, bus=bus, media=data.media,
                            key=key)
        # Context: `cors_origins` (comma-separated; declaration.CORS_ORIGINS_DEFAULT when unset), `waf` (off).
        origins = cors_origins(self.node.try_get_context("cors_origins"))
        web_acl = enabled(self.node.try_get_context(CONTEXT_FLAG))
        for spec in functions:
            if any(route.api == "rest" for route in spec.routes):  # the handlers' CORS answers the same list
                fns[spec.name].add_environment("SWITCHBOARD_CORS_ORIGINS", ",".join(origins))
        api = Api(self, "Api", specs=functions, functions=fns, user_pool=auth.user_pool, cors_origins=origins,
                  web_acl=web_acl)
        webhooks = HttpApi(self, "Webhooks", specs=functions, functions=fns)
        for spec in functions:
            if spec.links_to_api:  # from the API's id and stage name: its `url` would refer to the stage (a cycle)
                fns[spec.name].add_environment("SWITCHBOARD_PUBLIC_API_URL", api.public_url)
        if web_acl:
            OperatorWebAcl(self, "Waf", stage=api.rest_api.deployment_stage)
        # Alarms, their topic and the dashboard in a nested stack: CloudFormation takes at most 500 resources
        # in one stack, and the functions, queues and routes alone come close (docs/deploy.md).
        monitoring = Monitoring(NestedStack(self, "Observability"), "Monitoring", queues=queues, key=key,
                                functions=fns, failed_events=triggers.dead_letter_queues)

        encrypt_log_groups(self, key)

        CfnOutput(self, "ApiUrl", value=api.rest_api.url)
        CfnOutput(self, "WebhookUrl", value=webhooks.url)
        CfnOutput(self, "WebSocketUrl", value=realtime.stage.url)
        CfnOutput(self, "UserPoolId", value=auth.user_pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=auth.client.user_pool_client_id)
        CfnOutput(self, "AlarmTopicArn", value=monitoring.topic.topic_arn)
        CfnOutput(self, "MediaBucketName", value=data.media.bucket_name)
