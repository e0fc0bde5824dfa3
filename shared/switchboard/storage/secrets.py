"""Channels' credentials in Secrets Manager: one JSON secret per channel, under the declared prefix. Read
through Powertools Parameters (storage/channels.py); written here, by the channel administration."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from switchboard import aws


class SecretStore:
    def create(self, name: str, value: dict[str, Any]) -> None:
        """A new secret; a retried request whose secret exists already writes the value over it."""
        try:
            aws.client("secretsmanager").create_secret(Name=name, SecretString=json.dumps(value))
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceExistsException":
                raise
            self.put(name, value)

    def put(self, name: str, value: dict[str, Any]) -> None:
        aws.client("secretsmanager").put_secret_value(SecretId=name, SecretString=json.dumps(value))

    def get(self, name: str) -> dict[str, Any]:
        value = aws.client("secretsmanager").get_secret_value(SecretId=name)["SecretString"]
        parsed = json.loads(value)
        return parsed if isinstance(parsed, dict) else {}

    def delete(self, name: str) -> None:
        """Gone at once (a channel whose creation was refused leaves nothing behind)."""
        try:
            aws.client("secretsmanager").delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
