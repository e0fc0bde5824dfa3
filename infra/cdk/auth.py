"""The operators' Cognito user pool. API Gateway's authorizer validates its ID tokens; the functions read
the tenant and the role from the token's ``custom:tenant_id`` and ``custom:role`` claims
(switchboard.api.auth), so users must never be able to write those two attributes themselves."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from infra.cdk import nag

TENANT_ATTRIBUTE = "tenant_id"
ROLE_ATTRIBUTE = "role"


class OperatorAuth(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self, "Operators",
            self_sign_up_enabled=False,  # an admin creates operators, with their tenant and role
            sign_in_aliases=cognito.SignInAliases(email=True),
            sign_in_case_sensitive=False,
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)),
            custom_attributes={
                TENANT_ATTRIBUTE: cognito.StringAttribute(min_len=1, max_len=64, mutable=True),
                ROLE_ATTRIBUTE: cognito.StringAttribute(min_len=1, max_len=16, mutable=True),
            },
            password_policy=cognito.PasswordPolicy(
                min_length=12, require_lowercase=True, require_uppercase=True, require_digits=True,
                require_symbols=True, temp_password_validity=Duration.days(3)),
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.ESSENTIALS,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        nag.suppress(self.user_pool, nag.suppression(
            "COG8", "Essentials feature plan: operators are few, created by an admin (no self sign-up) and "
                    "must use TOTP MFA; Plus's per-user threat protection is a per-deployment cost decision "
                    "(set feature_plan=PLUS in infra/cdk/auth.py)."))

        readable = cognito.ClientAttributes().with_standard_attributes(email=True, email_verified=True) \
            .with_custom_attributes(TENANT_ATTRIBUTE, ROLE_ATTRIBUTE)
        # Writable: nothing custom. tenant_id and role change only through admin APIs (IAM-authorized).
        writable = cognito.ClientAttributes().with_standard_attributes(email=True)
        self.client = self.user_pool.add_client(
            "Frontend",
            auth_flows=cognito.AuthFlow(user_srp=True),
            generate_secret=False,  # browser frontends cannot keep a secret
            disable_o_auth=True,
            prevent_user_existence_errors=True,
            read_attributes=readable,
            write_attributes=writable,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
            enable_token_revocation=True,
        )
