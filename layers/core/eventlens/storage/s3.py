"""Blobs in S3 (production): presigned URLs for browser uploads and downloads."""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from eventlens.storage.base import (
    CHUNK_BYTES,
    PART_BYTES,
    BlobInfo,
    BlobNotFound,
    BlobStore,
    BlobWriter,
    UploadedPart,
    content_disposition,
    validate_key,
)

MIN_PART_BYTES = 5 * 1024 * 1024
"""S3's smallest part but the last; a smaller `part_bytes` would be refused at completion."""
PARTS_IN_FLIGHT = 2
"""Parts uploading while the next fills: reading and sending overlap, and memory stays at about
three parts (two sending, one filling) plus one write."""


class S3MultipartWriter(BlobWriter):
    """A multipart upload: a part goes out each time `part_bytes` have been written (two at once,
    in threads, while the next fills), so memory holds about three parts whatever the blob's size.
    A blob smaller than one part is one PutObject. Uncommitted parts are aborted, and the bucket's
    lifecycle rule aborts any a crash leaves behind."""

    def __init__(
        self,
        client: Any,
        bucket: str,
        key: str,
        content_type: str | None,
        part_bytes: int,
        tags: dict[str, str] | None = None,
    ) -> None:
        super().__init__(key)
        if part_bytes < MIN_PART_BYTES:
            raise ValueError(f"S3 parts are at least {MIN_PART_BYTES} bytes, not {part_bytes}")
        self.client, self.bucket, self.part_bytes = client, bucket, part_bytes
        self.extra: dict[str, Any] = {"ContentType": content_type} if content_type else {}
        if tags:
            self.extra["Tagging"] = urlencode(tags)  # needs s3:PutObjectTagging as well
        self.buffer = bytearray()
        self.upload_id: str | None = None
        self.parts: list[Future[dict[str, Any]]] = []
        self.pool: ThreadPoolExecutor | None = None

    def _write(self, data: bytes | bytearray | memoryview) -> int:
        self.buffer += data
        while len(self.buffer) >= self.part_bytes:
            self._wait_for_room()  # before copying the part: never more than PARTS_IN_FLIGHT + 1
            with memoryview(self.buffer) as view:
                part = bytes(view[: self.part_bytes])  # one copy, no intermediate slice
            del self.buffer[: self.part_bytes]
            self._send(part)
        return len(data)

    def _send(self, part: bytes) -> None:
        if self.upload_id is None:
            reply = self.client.create_multipart_upload(Bucket=self.bucket, Key=self.key, **self.extra)
            self.upload_id = reply["UploadId"]
            self.pool = ThreadPoolExecutor(PARTS_IN_FLIGHT, thread_name_prefix="s3-part")
        assert self.pool is not None
        self.parts.append(self.pool.submit(self._upload_part, len(self.parts) + 1, part))

    def _wait_for_room(self) -> None:
        """Back-pressure: wait until fewer than PARTS_IN_FLIGHT parts are uploading."""
        in_flight = [f for f in self.parts if not f.done()]
        while len(in_flight) >= PARTS_IN_FLIGHT:
            in_flight.pop(0).result()
            in_flight = [f for f in in_flight if not f.done()]

    def _upload_part(self, number: int, part: bytes) -> dict[str, Any]:
        reply = self.client.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=part
        )
        return {"PartNumber": number, "ETag": reply["ETag"]}

    def commit(self) -> BlobInfo:
        if self.upload_id is None:
            reply = self.client.put_object(
                Bucket=self.bucket, Key=self.key, Body=bytes(self.buffer), **self.extra
            )
            return BlobInfo(self.key, self.size, reply["ETag"].strip('"'))
        if self.buffer:
            self._wait_for_room()
            self._send(bytes(self.buffer))
            self.buffer.clear()
        parts = [f.result() for f in self.parts]
        self._close_pool()
        reply = self.client.complete_multipart_upload(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, MultipartUpload={"Parts": parts}
        )
        return BlobInfo(self.key, self.size, reply["ETag"].strip('"'))

    def abort(self) -> None:
        self.buffer.clear()
        self._close_pool()
        if self.upload_id is not None:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)

    def _close_pool(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


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

    def open_write(
        self,
        key: str,
        content_type: str | None = None,
        part_bytes: int = PART_BYTES,
        tags: dict[str, str] | None = None,
    ) -> S3MultipartWriter:
        return S3MultipartWriter(self.client, self.bucket, key, content_type, part_bytes, tags)

    def read_chunks(self, key: str, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
        """One GetObject, its body streamed."""
        try:
            reply = self.client.get_object(Bucket=self.bucket, Key=validate_key(key))
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
                raise BlobNotFound(key) from None
            raise
        body = reply["Body"]
        try:
            yield from body.iter_chunks(chunk_bytes)
        finally:
            body.close()  # a reader that stops early leaves no connection half-read

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

    def create_multipart(self, key: str, content_type: str) -> str:
        reply = self.client.create_multipart_upload(
            Bucket=self.bucket, Key=validate_key(key), ContentType=content_type
        )
        return str(reply["UploadId"])

    def url_for_part(self, key: str, upload_id: str, number: int, expires_s: int = 900) -> str:
        return str(
            self.client.generate_presigned_url(
                "upload_part",
                Params={
                    "Bucket": self.bucket,
                    "Key": validate_key(key),
                    "UploadId": upload_id,
                    "PartNumber": number,
                },
                ExpiresIn=expires_s,
            )
        )

    def put_part(self, key: str, upload_id: str, number: int, data: bytes) -> str:
        try:
            reply = self.client.upload_part(
                Bucket=self.bucket, Key=validate_key(key), UploadId=upload_id, PartNumber=number, Body=data
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchUpload", "404"):
                raise BlobNotFound(key) from None
            raise
        return str(reply["ETag"]).strip('"')

    def list_parts(self, key: str, upload_id: str) -> Sequence[UploadedPart]:
        parts: builtins.list[UploadedPart] = []
        marker = 0
        while True:
            try:
                reply = self.client.list_parts(
                    Bucket=self.bucket, Key=validate_key(key), UploadId=upload_id, PartNumberMarker=marker
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchUpload", "404"):
                    raise BlobNotFound(key) from None
                raise
            parts += [
                UploadedPart(int(p["PartNumber"]), str(p["ETag"]).strip('"'), int(p["Size"]))
                for p in reply.get("Parts", [])
            ]
            if not reply.get("IsTruncated"):
                return parts
            marker = int(reply["NextPartNumberMarker"])

    def complete_multipart(self, key: str, upload_id: str, parts: Sequence[UploadedPart]) -> BlobInfo:
        try:
            reply = self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=validate_key(key),
                UploadId=upload_id,
                MultipartUpload={"Parts": [{"PartNumber": p.number, "ETag": f'"{p.etag}"'} for p in parts]},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "NoSuchUpload":
                raise BlobNotFound(key) from None
            raise
        return BlobInfo(key, self.head(key).size, str(reply["ETag"]).strip('"'))

    def abort_multipart(self, key: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=validate_key(key), UploadId=upload_id)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchUpload":
                raise
