"""Blobs in S3 (production): presigned URLs for browser uploads and downloads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from eventlens.storage.base import BlobInfo, BlobNotFound, BlobStore, content_disposition, validate_key


class S3BlobStore(BlobStore):
    def __init__(self, bucket: str, client: Any = None) -> None:
        self.bucket = bucket
        # SigV4 presigned URLs: SigV2 is refused in newer regions and cannot carry a session token
        # scoped to this function's role for long.
        self.client = client or boto3.client("s3", config=Config(signature_version="s3v4"))

    def put(self, key: str, data: bytes, content_type: str | None = None) -> BlobInfo:
        extra: dict[str, Any] = {"ContentType": content_type} if content_type else {}
        reply = self.client.put_object(Bucket=self.bucket, Key=validate_key(key), Body=data, **extra)
        return BlobInfo(key, len(data), reply["ETag"].strip('"'))

    def get(self, key: str, byte_range: tuple[int, int] | None = None) -> bytes:
        extra: dict[str, Any] = {"Range": f"bytes={byte_range[0]}-{byte_range[1]}"} if byte_range else {}
        try:
            reply = self.client.get_object(Bucket=self.bucket, Key=validate_key(key), **extra)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
                raise BlobNotFound(key) from None
            raise
        return bytes(reply["Body"].read())

    def head(self, key: str) -> BlobInfo:
        try:
            reply = self.client.head_object(Bucket=self.bucket, Key=validate_key(key))
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchKey", "404", "NotFound"):
                raise BlobNotFound(key) from None
            raise
        return BlobInfo(key, reply["ContentLength"], reply["ETag"].strip('"'), reply.get("LastModified"))

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=validate_key(key))

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield BlobInfo(item["Key"], item["Size"], item["ETag"].strip('"'), item.get("LastModified"))

    def url_for_get(
        self, key: str, content_type: str, download_name: str | None = None, expires_s: int = 900
    ) -> str:
        """A presigned GET on the bucket's own origin (never the gallery's), its type and
        disposition forced from the grant whatever the object was stored with."""
        params = {"Bucket": self.bucket, "Key": validate_key(key), "ResponseContentType": content_type}
        if download_name is not None:
            params["ResponseContentDisposition"] = content_disposition(download_name)
        return str(self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_s))

    def url_for_put(self, key: str, content_type: str, expires_s: int = 900) -> str:
        return str(
            self.client.generate_presigned_url(
                "put_object",
                Params={"Bucket": self.bucket, "Key": validate_key(key), "ContentType": content_type},
                ExpiresIn=expires_s,
            )
        )
