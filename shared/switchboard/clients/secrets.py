"""Secrets we create ourselves (webhook subscriptions' signing secrets) in Secrets Manager; reading goes
through Powertools Parameters, cached."""

from __future__ import annotations

from aws_lambda_powertools.utilities import parameters
from botocore.exceptions import ClientError

from switchboard import aws

CACHE_S = 300


def read_secret(name: str) -> str:
    """A secret's text, cached for five minutes per process (Powertools Parameters)."""
    return str(parameters.get_secret(name, max_age=CACHE_S))


def create_secret(name: str, value: str, description: str) -> None:
    aws.client("secretsmanager").create_secret(Name=name, SecretString=value, Description=description)


def delete_secret(name: str) -> None:
    try:
        aws.client("secretsmanager").delete_secret(SecretId=name, RecoveryWindowInDays=7)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
