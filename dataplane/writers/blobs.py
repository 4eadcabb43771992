"""Blobs into MinIO / S3 (minio SDK) with the manifest pattern.

Each twin's objects live under `<tenant>/<twin>/`; `<tenant>/<twin>/manifest.json`
lists every blob (key, size, sha256, content type, time). A blob's key carries
its sha256, so storing it twice is harmless; the manifest is rewritten only
after the blob is stored, and an S3 PUT replaces it atomically, so a reader
never sees a manifest entry whose blob is missing.
"""

from __future__ import annotations

import hashlib
import io
import json
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from .base import Health, Probe, StoreDown

__all__ = ["BlobWriter", "manifest_key", "snapshot_record"]

MANIFEST = "manifest.json"


def manifest_key(tenant: str, twin: str) -> str:
    return f"{tenant or '_'}/{twin}/{MANIFEST}"


def snapshot_record(tenant: str, twin: str, document: dict[str, Any], at: str) -> dict[str, Any]:
    """A 'blob' record: the twin's spec as the registry holds it after a change."""
    body = json.dumps(document, sort_keys=True, indent=2, default=str)
    return {"k": "blob", "tenant": tenant, "twin": twin, "name": "spec", "ext": "json",
            "content_type": "application/json", "text": body, "time": at}


class BlobWriter:
    name = "blobs"
    label = "MinIO"
    kinds = frozenset({"blob"})

    def __init__(self, endpoint: str, access_key: str, secret_key: str, bucket: str, timeout: float = 5.0):
        if "://" in endpoint:
            parts = urlsplit(endpoint)
            self.host, self.secure = parts.netloc, parts.scheme == "https"
        else:
            self.host, self.secure = endpoint, False
        self.access_key, self.secret_key, self.bucket, self.timeout = access_key, secret_key, bucket, timeout
        self.endpoint = f"{'https' if self.secure else 'http'}://{self.host}/{bucket}"
        self._client: Any = None

    def open(self) -> None:
        if self._client is None:
            import urllib3
            from minio import Minio

            http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=self.timeout, read=self.timeout),
                                       retries=urllib3.Retry(total=0))
            self._client = Minio(self.host, access_key=self.access_key or None, secret_key=self.secret_key or None,
                                 secure=self.secure, http_client=http)

    def close(self) -> None:
        self._client = None

    def ensure_bucket(self) -> bool:
        """Create the bucket if missing; True when it was created."""
        self.open()
        if self._client.bucket_exists(self.bucket):
            return False
        self._client.make_bucket(self.bucket)
        return True

    def _put(self, key: str, data: bytes, content_type: str) -> None:
        self._client.put_object(self.bucket, key, io.BytesIO(data), len(data), content_type=content_type)

    def read_manifest(self, tenant: str, twin: str) -> dict[str, Any]:
        from minio.error import S3Error

        self.open()
        try:
            response = self._client.get_object(self.bucket, manifest_key(tenant, twin))
        except S3Error as exc:
            if exc.code == "NoSuchKey":
                return {"tenant": tenant, "twin": twin, "blobs": []}
            raise
        try:
            return json.loads(response.read())
        finally:
            response.close()
            response.release_conn()

    def read(self, key: str) -> bytes:
        self.open()
        response = self._client.get_object(self.bucket, key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def write(self, records: list[dict[str, Any]]) -> None:
        blobs = [r for r in records if r["k"] == "blob"]
        if not blobs:
            return
        try:
            self.open()
            by_twin: dict[tuple[str, str], list[dict[str, Any]]] = {}
            for r in blobs:
                by_twin.setdefault((r["tenant"], r["twin"]), []).append(r)
            for (tenant, twin), group in by_twin.items():
                manifest = self.read_manifest(tenant, twin)
                known = {entry["key"] for entry in manifest["blobs"]}
                for r in group:
                    data = r["text"].encode()
                    digest = hashlib.sha256(data).hexdigest()
                    key = f"{tenant or '_'}/{twin}/{r['name']}/{digest}.{r['ext']}"
                    if key in known:
                        continue
                    self._put(key, data, r["content_type"])
                    manifest["blobs"].append({"key": key, "size": len(data), "sha256": digest,
                                              "content_type": r["content_type"], "time": r["time"]})
                    known.add(key)
                manifest["updated_at"] = datetime.now(timezone.utc).isoformat()
                self._put(manifest_key(tenant, twin), json.dumps(manifest, indent=2).encode(), "application/json")
        except Exception as exc:
            raise StoreDown(f"{self.endpoint}: {exc}"[:500]) from exc

    def health(self) -> Health:
        try:
            self.open()
            if self._client.bucket_exists(self.bucket):
                return Health("ok", self.endpoint)
            return Health("down", f"{self.endpoint}: bucket missing (run manage.py init_stores)")
        except Exception as exc:
            return Health("down", f"{self.endpoint}: {exc}"[:300])

    def probe(self, marker: str) -> Probe:
        key = f"_smoke/{marker}.txt"
        data = marker.encode()
        try:
            self.open()
            self._put(key, data, "text/plain")
        except Exception as exc:
            return Probe(False, False, f"{self.endpoint}: {exc}"[:300])
        try:
            ok = self.read(key) == data
            self._client.remove_object(self.bucket, key)
            return Probe(True, ok, "" if ok else "read back different bytes")
        except Exception as exc:
            return Probe(True, False, f"{self.endpoint}: {exc}"[:300])
