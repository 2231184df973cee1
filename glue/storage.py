"""The private object store (S3 API through the minio SDK). One private bucket; no bucket
policy is ever set, so anonymous requests are refused (P6)."""

import asyncio
import io

from minio import Minio
from minio.error import S3Error

from glue.settings import ObjectStoreSettings

# What the S3 API answers for a key that is not there (MinIO and nanio say NoSuchKey; some stores
# NoSuchObject): an object deleted between a row's read and the get, not a store that is unwell.
_MISSING_OBJECT_CODES = ("NoSuchKey", "NoSuchObject")


def is_missing_object(error: S3Error) -> bool:
    return error.code in _MISSING_OBJECT_CODES


class ObjectStore:
    def __init__(self, settings: ObjectStoreSettings):
        self._client = Minio(
            settings.s3_endpoint,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            secure=settings.s3_secure,
        )
        self.bucket = settings.s3_bucket

    def ensure_bucket(self) -> None:
        if not self._client.bucket_exists(self.bucket):
            self._client.make_bucket(self.bucket)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(
            self._client.put_object, self.bucket, key, io.BytesIO(data), len(data), content_type=content_type
        )

    async def get(self, key: str) -> bytes:
        def read() -> bytes:
            response = self._client.get_object(self.bucket, key)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

        return await asyncio.to_thread(read)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._client.remove_object, self.bucket, key)
