"""How each declared resource (``table:data``, ``queue:inbound``, ``bus``, ``bucket:media``, ``secrets``)
reaches a function that uses it: the value of its environment variable (declaration.ENVIRONMENT_OF), the
construct grant for each access level, and the cdk-nag IAM5 findings those grants produce, with the reason."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ses as ses
from cdk_nag import NagPackSuppression

from infra.cdk import nag
from infra.cdk.queues import QueuePair
from infra.declaration import Resources, Table

Grant = Callable[[iam.IGrantable], object]


@dataclass(frozen=True)
class Binding:
    value: str
    grants: Mapping[str, Grant]
    wildcards: tuple[NagPackSuppression, ...] = field(default=())


KMS_WILDCARDS = nag.suppression(
    "IAM5", "CDK's grants on KMS-encrypted tables, queues and buckets add kms:GenerateDataKey* and "
            "kms:ReEncrypt* (the variants of one operation) on the stack's one customer-managed key.",
    applies_to=["Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*"])

TABLE_INDEX_WILDCARDS = nag.suppression(
    "IAM5", "Table.grant_*_data also covers the table's own global secondary indexes (<table>/index/*), "
            "which the repositories query.",
    applies_to=[nag.regex(r"^Resource::<.*\.Arn>/index/\*$")])

BUCKET_WILDCARDS = nag.suppression(
    "IAM5", "Bucket.grant_read/_read_write cover the bucket's objects (<bucket>/*: keys are made at run "
            "time) with S3's action families (GetObject*, List*, DeleteObject*, Abort*), on that bucket "
            "only.",
    applies_to=[nag.regex(r"^Resource::<.*\.Arn>/\*$"), "Action::s3:GetObject*", "Action::s3:GetBucket*",
                "Action::s3:List*", "Action::s3:DeleteObject*", "Action::s3:Abort*"])


def table_binding(spec: Table, table: dynamodb.Table) -> Binding:
    wildcards = (KMS_WILDCARDS, TABLE_INDEX_WILDCARDS) if spec.indexes else (KMS_WILDCARDS,)
    return Binding(table.table_name, {"read": table.grant_read_data, "write": table.grant_write_data,
                                      "readwrite": table.grant_read_write_data}, wildcards)


def queue_binding(pair: QueuePair) -> Binding:
    return Binding(pair.queue.queue_url, {"send": pair.queue.grant_send_messages,
                                          "consume": pair.queue.grant_consume_messages}, (KMS_WILDCARDS,))


def bus_binding(bus: events.IEventBus) -> Binding:
    return Binding(bus.event_bus_name, {"put": bus.grant_put_events_to})


def bucket_binding(bucket: s3.Bucket) -> Binding:
    return Binding(bucket.bucket_name, {"read": bucket.grant_read, "write": bucket.grant_put,
                                        "readwrite": bucket.grant_read_write},
                   (KMS_WILDCARDS, BUCKET_WILDCARDS))


def secrets_binding(stack: Stack, prefix: str) -> Binding:
    """Read (or read and write) on the secrets under the declared prefix: one per channel, created after
    deploying."""
    arn = stack.format_arn(service="secretsmanager", resource="secret", resource_name=f"{prefix}*",
                           arn_format=ArnFormat.COLON_RESOURCE_NAME)

    def grant_read(grantee: iam.IGrantable) -> iam.Grant:
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            resource_arns=[arn])

    def grant_read_write(grantee: iam.IGrantable) -> iam.Grant:
        """Admins add channels and change their credentials through the API (POST/PATCH /channels); webhook
        subscriptions' signing secrets are created and deleted at run time too."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret",
                                      "secretsmanager:CreateSecret", "secretsmanager:PutSecretValue",
                                      "secretsmanager:DeleteSecret"],
            resource_arns=[arn])

    return Binding(prefix, {"read": grant_read, "readwrite": grant_read_write}, (nag.suppression(
        "IAM5", f"Channels' and webhook subscriptions' secrets are created after deploying, one each, under "
                f"{prefix}; access covers that prefix only.",
        applies_to=[nag.regex(rf"^Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:"
                              rf"<AWS::AccountId>:secret:{prefix}\*$")]),))


def ses_binding(stack: Stack, configuration_set: ses.IConfigurationSet) -> Binding:
    """Send email with the configuration set (so sending events are reported), from any verified identity."""
    arns = [stack.format_arn(service="ses", resource="identity", resource_name="*"),
            stack.format_arn(service="ses", resource="configuration-set",
                             resource_name=configuration_set.configuration_set_name)]

    def grant_send(grantee: iam.IGrantable) -> iam.Grant:
        return iam.Grant.add_to_principal(grantee=grantee, actions=["ses:SendEmail", "ses:SendRawEmail"],
                                          resource_arns=arns)

    return Binding(configuration_set.configuration_set_name, {"send": grant_send}, (nag.suppression(
        "IAM5", "Sending identities (each tenant's domain or address) are verified in SES after deploying; "
                "SendEmail is allowed from any identity of this account and region, nothing else.",
        applies_to=[nag.regex(r"^Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:"
                              r"identity/\*$")]),))


# The admin calls that manage operators (docs/team.md): invite, role change, disable/enable, sign-out, delete.
USER_POOL_ADMIN_ACTIONS = ("cognito-idp:AdminCreateUser", "cognito-idp:AdminUpdateUserAttributes",
                           "cognito-idp:AdminDisableUser", "cognito-idp:AdminEnableUser",
                           "cognito-idp:AdminUserGlobalSignOut", "cognito-idp:AdminDeleteUser")


def user_pool_binding(user_pool: cognito.IUserPool) -> Binding:
    """Manage the operators' pool (USER_POOL_ID): those admin actions, on that one pool."""
    return Binding(user_pool.user_pool_id, {"write": lambda grantee: user_pool.grant(grantee,
                                                                                     *USER_POOL_ADMIN_ACTIONS)})


def bindings(stack: Stack, *, resources: Resources, tables: Mapping[str, dynamodb.Table],
             queues: Mapping[str, QueuePair], bus: events.IEventBus, media: s3.Bucket,
             configuration_set: ses.IConfigurationSet,
             user_pool: cognito.IUserPool | None = None) -> dict[str, Binding]:
    """Every resource the stack provides, under the key the declaration's ``uses`` name it by (``ses`` is
    used once the declaration maps it in ENVIRONMENT_OF, to SES_CONFIGURATION_SET)."""
    found = {f"table:{spec.name}": table_binding(spec, tables[spec.name]) for spec in resources.tables}
    found.update({f"queue:{name}": queue_binding(pair) for name, pair in queues.items()})
    found["bus"] = bus_binding(bus)
    found[f"bucket:{resources.bucket}"] = bucket_binding(media)
    found["secrets"] = secrets_binding(stack, resources.secrets_prefix)
    found["ses"] = ses_binding(stack, configuration_set)
    if user_pool is not None:
        found["userpool"] = user_pool_binding(user_pool)
    return found
