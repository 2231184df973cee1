"""An S3-compatible object store: nanio, which keeps objects on disk and refuses anonymous access."""

from __future__ import annotations

import logging
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from tools.devstack.process import (
    LOOPBACK,
    ManagedProcess,
    ensure_port_free,
    venv_executable,
    wait_until_ready,
)
from tools.devstack.secrets import generate_secret

if TYPE_CHECKING:
    from minio import Minio

log = logging.getLogger(__name__)

DEFAULT_BUCKET = "atelier-images"


class ObjectStore:
    port_setting = "ATELIER_S3_PORT"

    def __init__(
        self,
        data_dir: Path,
        port: int,
        access_key: str | None = None,
        secret_key: str | None = None,
        *,
        bucket: str = DEFAULT_BUCKET,
        die_with_parent: bool = True,
    ) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.port = port
        # Unset: keys of its own, at random (a test's store); ./atelierctl up passes the stack's.
        self.access_key = access_key or generate_secret()
        self.secret_key = secret_key or generate_secret()
        self.bucket = bucket
        self.die_with_parent = die_with_parent
        self._process: ManagedProcess | None = None

    @property
    def endpoint(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "nanio.log"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def is_running(self) -> bool:
        return self._process is not None and self._process.is_running()

    def client(self) -> Minio:
        from minio import Minio

        return Minio(self.endpoint, access_key=self.access_key, secret_key=self.secret_key, secure=False)

    def start(self, timeout: float = 30.0) -> None:
        ensure_port_free(self.port, server="object store", setting=self.port_setting)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "NANIO_ACCESS_KEY": self.access_key, "NANIO_SECRET_KEY": self.secret_key}
        self._process = ManagedProcess(
            "object store",
            [
                venv_executable("nanio"),
                "serve",
                "--host",
                LOOPBACK,  # nanio's default is 0.0.0.0
                "--port",
                str(self.port),
                "--data-dir",
                self.data_dir / "objects",
                "--no-access-log",
            ],
            self.log_path,
            env=env,
            die_with_parent=self.die_with_parent,
        )
        self._process.start()
        try:
            wait_until_ready(
                self._answers_http,
                what=f"object store on port {self.port}",
                timeout=timeout,
                log_path=self.log_path,
                is_alive=self._process.is_running,
            )
            self._ensure_bucket()
        except Exception:
            self.stop()
            raise
        log.info("object store ready at %s, bucket %s", self.endpoint, self.bucket)

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None

    def _answers_http(self) -> bool:
        try:
            urllib.request.urlopen(f"http://{self.endpoint}/", timeout=1).close()
        except urllib.error.HTTPError:
            return True  # an S3 error document (403 for an anonymous request) is an answer
        except OSError:
            return False
        return True

    def _ensure_bucket(self) -> None:
        client = self.client()
        if not client.bucket_exists(self.bucket):
            client.make_bucket(self.bucket)
            log.info("created bucket %s", self.bucket)
