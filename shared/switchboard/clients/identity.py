"""Where operators sign in. In the cloud, the Cognito user pool (AdminCreateUser with the tenant and role
as custom attributes; disable, enable, role changes, removal). On this machine, no pool: the operator
directory itself is the development identity provider (`make token OPERATOR=<id>` mints a token for any
operator in it, with that operator's role)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from botocore.exceptions import ClientError

from switchboard import aws, ids

TENANT_ATTRIBUTE = "custom:tenant_id"
ROLE_ATTRIBUTE = "custom:role"


class IdentityTaken(Exception):
    """The pool already has a user with this email (one pool serves every tenant)."""


@dataclass(frozen=True)
class Invited:
    operator_id: str  # the token's ``sub``
    username: str


class IdentityProvider(Protocol):
    def invite(self, tenant_id: str, email: str, name: str, role: str) -> Invited: ...
    def set_role(self, username: str, role: str) -> None: ...
    def set_disabled(self, username: str, disabled: bool) -> None: ...
    def remove(self, username: str) -> None: ...


class LocalIdentity:
    """The development identity provider: ids are made here, tokens are minted from the directory."""

    def invite(self, tenant_id: str, email: str, name: str, role: str) -> Invited:
        operator_id = ids.new_id()
        return Invited(operator_id, operator_id)

    def set_role(self, username: str, role: str) -> None:
        return None

    def set_disabled(self, username: str, disabled: bool) -> None:
        return None

    def remove(self, username: str) -> None:
        return None


class CognitoIdentity:
    def __init__(self, user_pool_id: str) -> None:
        self.user_pool_id = user_pool_id

    def invite(self, tenant_id: str, email: str, name: str, role: str) -> Invited:
        try:
            response = aws.client("cognito-idp").admin_create_user(
                UserPoolId=self.user_pool_id,
                Username=email,
                DesiredDeliveryMediums=["EMAIL"],
                UserAttributes=[
                    {"Name": "email", "Value": email},
                    {"Name": "email_verified", "Value": "true"},
                    {"Name": "name", "Value": name},
                    {"Name": TENANT_ATTRIBUTE, "Value": tenant_id},
                    {"Name": ROLE_ATTRIBUTE, "Value": role},
                ],
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "UsernameExistsException":
                raise IdentityTaken(email) from exc
            raise
        user = response["User"]
        sub = next(a["Value"] for a in user.get("Attributes", []) if a["Name"] == "sub")
        return Invited(sub, user["Username"])

    def set_role(self, username: str, role: str) -> None:
        aws.client("cognito-idp").admin_update_user_attributes(
            UserPoolId=self.user_pool_id,
            Username=username,
            UserAttributes=[{"Name": ROLE_ATTRIBUTE, "Value": role}],
        )

    def set_disabled(self, username: str, disabled: bool) -> None:
        client = aws.client("cognito-idp")
        if disabled:
            client.admin_disable_user(UserPoolId=self.user_pool_id, Username=username)
            client.admin_user_global_sign_out(UserPoolId=self.user_pool_id, Username=username)
        else:
            client.admin_enable_user(UserPoolId=self.user_pool_id, Username=username)

    def remove(self, username: str) -> None:
        aws.client("cognito-idp").admin_delete_user(UserPoolId=self.user_pool_id, Username=username)


def identity_provider(user_pool_id: str | None) -> IdentityProvider:
    return CognitoIdentity(user_pool_id) if user_pool_id else LocalIdentity()
