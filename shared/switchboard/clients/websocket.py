"""Posting to operators' WebSocket connections through API Gateway's connection management API
(``POST /@connections/{id}``; locally the runtime serves the same API at ``/_ws``)."""

from __future__ import annotations

from botocore.exceptions import ClientError

from switchboard import aws


class ConnectionPoster:
    def __init__(self, callback_url: str) -> None:
        self.callback_url = callback_url

    def post(self, connection_id: str, data: bytes) -> bool:
        """Send one frame; False when the connection is gone (410, ``GoneException``)."""
        client = aws.client("apigatewaymanagementapi", endpoint_url=self.callback_url)
        try:
            client.post_to_connection(ConnectionId=connection_id, Data=data)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "GoneException" or \
                    exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 410:
                return False
            raise
        return True
