"""Operators' outbound files in the media bucket: presigned upload URLs, their size and type, their bytes."""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import ClientError

from switchboard import aws

UPLOAD_URL_SECONDS = 900


@dataclass(frozen=True)
class StoredFile:
    key: str
    size: int
    content_type: str


class AttachmentStore:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def upload_url(self, key: str, content_type: str) -> str:
        return aws.client("s3").generate_presigned_url(
            "put_object", Params={"Bucket": self.bucket, "Key": key, "ContentType": content_type},
            ExpiresIn=UPLOAD_URL_SECONDS, HttpMethod="PUT")

    def describe(self, key: str) -> StoredFile | None:
        try:
            head = aws.client("s3").head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return StoredFile(key, int(head["ContentLength"]), head.get("ContentType") or "application/octet-stream")

    def read(self, key: str) -> bytes:
        return aws.client("s3").get_object(Bucket=self.bucket, Key=key)["Body"].read()
