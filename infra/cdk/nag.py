"""cdk-nag suppressions. Every one names the rule, the reason, and (for IAM5) the exact finding it
covers, so a new wildcard still fails the synth. docs/deploy.md lists them."""

from __future__ import annotations

from collections.abc import Sequence

from cdk_nag import NagPackSuppression, NagSuppressions, RegexAppliesTo
from constructs import IConstruct

AppliesTo = str | RegexAppliesTo


def suppression(rule: str, reason: str, applies_to: Sequence[AppliesTo] = ()) -> NagPackSuppression:
    return NagPackSuppression(id=f"AwsSolutions-{rule}", reason=reason,
                              applies_to=list(applies_to) if applies_to else None)


def suppress(construct: IConstruct, *suppressions: NagPackSuppression, children: bool = True) -> None:
    NagSuppressions.add_resource_suppressions(construct, list(suppressions), apply_to_children=children)


def regex(pattern: str) -> RegexAppliesTo:
    """An appliesTo matching cdk-nag findings such as ``Resource::<DataTable1234.Arn>/index/*``."""
    return RegexAppliesTo(regex=f"/{pattern}/")
