"""The media bucket and what the table says of it: inbound media files (``<tenant>/media/<message_id>/<file>``)
and their state on the message (``media.status``: pending, available or failed), short-lived download URLs
for operators, and the email channel's raw mail, attachments and large bodies (keys start with the tenant)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from switchboard import aws, clock
from switchboard.domain.messages import MEDIA_AVAILABLE, MEDIA_FAILED
from switchboard.storage.dynamo import StorageUnavailable, Table, is_conditional_failure

DOWNLOAD_URL_SECONDS = 300


def object_key(tenant_id: str, message_id: str, filename: str) -> str:
    return f"{tenant_id}/media/{message_id}/{filename}"


class MediaStore:
    def __init__(self, table: Table, bucket: str | None) -> None:
        self.table = table
        self.bucket = bucket

    def put(self, key: str, body: bytes, content_type: str = "application/octet-stream") -> None:
        """Raises StorageUnavailable when S3 refuses it."""
        try:
            aws.client("s3").put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)
        except ClientError as exc:
            raise StorageUnavailable("the object could not be stored") from exc

    def get(self, key: str) -> bytes:
        return aws.client("s3").get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def exists(self, key: str) -> bool:
        try:
            aws.client("s3").head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def save_file(self, key: str, content: bytes, content_type: str, sha256_hex: str) -> None:
        aws.client("s3").put_object(Bucket=self.bucket, Key=key, Body=content, ContentType=content_type,
                                    Metadata={"sha256": sha256_hex})

    def download_url(self, key: str, seconds: int = DOWNLOAD_URL_SECONDS) -> str:
        """A presigned GET, valid for a few minutes (signing is local: no request to S3)."""
        return aws.client("s3").generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=seconds)

    def mark_available(self, message_key: dict[str, str], s3_key: str, size: int, sha256_hex: str,
                       mime_type: str) -> None:
        self.table.update(message_key, "SET media.#st = :s, media.s3_key = :k, media.#sz = :n, "
                          "media.sha256_hex = :h, media.mime_type = :m, media.stored_at = :now "
                          "REMOVE media.#err",
                          {":s": MEDIA_AVAILABLE, ":k": s3_key, ":n": size, ":h": sha256_hex, ":m": mime_type,
                           ":now": clock.iso(clock.now())}, {"#st": "status", "#err": "error", "#sz": "size"},
                          condition="attribute_exists(media)")

    def mark_failed(self, message_key: dict[str, str], reason: str) -> None:
        """The last attempt failed (another follows, through the queue's retry)."""
        try:
            self.table.update(message_key, "SET media.#st = :s, media.#err = :e, media.failed_at = :now, "
                              "media.attempts = if_not_exists(media.attempts, :zero) + :one",
                              {":s": MEDIA_FAILED, ":e": reason, ":now": clock.iso(clock.now()), ":zero": 0,
                               ":one": 1, ":available": MEDIA_AVAILABLE}, {"#st": "status", "#err": "error"},
                              condition="attribute_exists(media) AND media.#st <> :available")
        except ClientError as exc:
            if not is_conditional_failure(exc):
                raise

    def message(self, message_key: dict[str, str]) -> dict[str, Any] | None:
        return self.table.get(message_key, consistent=True)
