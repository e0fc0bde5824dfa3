"""Secrets we create ourselves (webhook subscriptions' signing secrets) in Secrets Manager; reading goes
through Powertools Parameters, cached."""

from __future__ import annotations

from collections.abc import Callable

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


def read_or_create_secret(name: str, make: Callable[[], str], description: str) -> str:
    """A secret we own, made on first use: of two processes creating it at once, one creates it and both
    read the one that exists."""
    client = aws.client("secretsmanager")
    try:
        return str(client.get_secret_value(SecretId=name)["SecretString"])
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
    try:
        client.create_secret(Name=name, SecretString=make(), Description=description)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceExistsException":
            raise
    return str(client.get_secret_value(SecretId=name)["SecretString"])


def read_secret_if_any(name: str) -> str | None:
    """A secret's text (cached like read_secret), or None when there is no such secret."""
    try:
        return read_secret(name)
    except parameters.exceptions.GetParameterError:
        return None
