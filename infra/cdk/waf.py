"""The optional AWS WAF web ACL of the operators' REST API stage: declared here, off by default, on with the
CDK context flag ``waf`` (``cdk deploy -c waf=true``).

It is where the operator routes are throttled per client (docs/deploy.md): API Gateway's own per-client
throttling needs usage plans and API keys, which a browser frontend would have to ship in its code and every
generated client would have to send; a WAF rate-based rule counts per caller without either. Two rules:

- per operator: requests carrying the same ``Authorization`` header (one signed-in operator's token);
- per address: every request from one IP, token or not (a backstop, higher: an office behind one NAT);

then AWS's managed common and known-bad-inputs rule sets (the common set's 8 KB body rule only counts:
operators' messages and contact edits can be larger). WAF cannot be attached to an HTTP API, which is
one more reason the webhooks have their own budget there. Its requests are logged to
``aws-waf-logs-switchboard`` (the name WAF requires), with the ``Authorization`` header redacted.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

CONTEXT_FLAG = "waf"
RATE_WINDOW_S = 60
PER_OPERATOR_LIMIT = 600  # requests a minute with one token: 10/s, well above a frontend's polling
PER_ADDRESS_LIMIT = 3000  # requests a minute from one IP address
MANAGED_RULE_SETS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet")


def enabled(value: object) -> bool:
    """The context flag: ``-c waf=true`` (a string on the command line, a bool in cdk.json)."""
    return value is True or str(value).strip().lower() in {"true", "1", "yes", "on"}


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True)


def _rate_rule(name: str, priority: int, limit: int, *,
               per_header: str | None = None) -> wafv2.CfnWebACL.RuleProperty:
    statement = wafv2.CfnWebACL.RateBasedStatementProperty(
        limit=limit, evaluation_window_sec=RATE_WINDOW_S,
        aggregate_key_type="CUSTOM_KEYS" if per_header else "IP",
        custom_keys=[wafv2.CfnWebACL.RateBasedStatementCustomKeyProperty(
            header=wafv2.CfnWebACL.RateLimitHeaderProperty(
                name=per_header, text_transformations=[
                    wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")]))]
        if per_header else None)
    return wafv2.CfnWebACL.RuleProperty(
        name=name, priority=priority,
        statement=wafv2.CfnWebACL.StatementProperty(rate_based_statement=statement),
        action=wafv2.CfnWebACL.RuleActionProperty(block=wafv2.CfnWebACL.BlockActionProperty(
            custom_response=wafv2.CfnWebACL.CustomResponseProperty(response_code=429))),
        visibility_config=_visibility(name))


def _managed_rule(name: str, priority: int) -> wafv2.CfnWebACL.RuleProperty:
    overrides = ([wafv2.CfnWebACL.RuleActionOverrideProperty(
        name="SizeRestrictions_BODY",
        action_to_use=wafv2.CfnWebACL.RuleActionProperty(count=wafv2.CfnWebACL.CountActionProperty()))]
        if name == "AWSManagedRulesCommonRuleSet" else None)
    return wafv2.CfnWebACL.RuleProperty(
        name=name, priority=priority,
        statement=wafv2.CfnWebACL.StatementProperty(managed_rule_group_statement=(
            wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS", name=name, rule_action_overrides=overrides))),
        override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
        visibility_config=_visibility(name))


class OperatorWebAcl(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: apigateway.Stage) -> None:
        super().__init__(scope, construct_id)
        self.web_acl = wafv2.CfnWebACL(
            self, "WebAcl", scope="REGIONAL", name="switchboard-operators",
            description="Switchboard operators API: per-client rate limits, AWS managed rules",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility("switchboard-operators"),
            rules=[_rate_rule("PerOperator", 0, PER_OPERATOR_LIMIT, per_header="authorization"),
                   _rate_rule("PerAddress", 1, PER_ADDRESS_LIMIT),
                   *[_managed_rule(name, priority)
                     for priority, name in enumerate(MANAGED_RULE_SETS, start=2)]])
        wafv2.CfnWebACLAssociation(self, "Association", web_acl_arn=self.web_acl.attr_arn,
                                   resource_arn=stage.stage_arn)
        log_group = logs.LogGroup(self, "Logs", log_group_name="aws-waf-logs-switchboard",
                                  retention=logs.RetentionDays.THREE_MONTHS,
                                  removal_policy=RemovalPolicy.DESTROY)
        wafv2.CfnLoggingConfiguration(
            self, "Logging", resource_arn=self.web_acl.attr_arn,
            # The log group's ARN without CloudFormation's trailing ":*", which WAF refuses.
            log_destination_configs=[Stack.of(self).format_arn(
                service="logs", resource="log-group", resource_name=log_group.log_group_name,
                arn_format=ArnFormat.COLON_RESOURCE_NAME)],
            redacted_fields=[wafv2.CfnLoggingConfiguration.FieldToMatchProperty(
                single_header={"Name": "authorization"})])
